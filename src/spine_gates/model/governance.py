"""The typed GovernanceModel and the flat view that declarative rules select from.

The view is plain JSON-like data: each item carries `_file` and `_pointer`, so any rule can report
where its finding is. Joins that JMESPath cannot express (a chain entry's provider, the slots a
role binds) are done here once, defensively: a registry that breaks its schema still yields a view.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spine_gates.model.governed import governed_files
from spine_gates.model.loader import Document, join_pointer, paused_gc, unescape_pointer_token
from spine_gates.model.refs import ModelRef
from spine_gates.model.schemas import CCR_SLOTS
from spine_gates.model.spine import SpineConfig, load_config, load_documents
from spine_gates.secrets.refs import register_referenced_keys


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class GovernanceModel:
    root: Path
    documents: dict[str, Document]
    config: SpineConfig = field(default_factory=SpineConfig)
    _view: dict[str, Any] | None = None

    def document(self, kind: str) -> Document:
        return self.documents[kind]

    def by_name(self, name: str) -> Document | None:
        for document in self.documents.values():
            if document.name == name:
                return document
        config = self.config.document
        return config if config is not None and config.name == name else None

    def line_of(self, file: str, pointer: str) -> int | None:
        document = self.by_name(file)
        return document.line_of(pointer) if document else None

    def has_pointer(self, file: str, pointer: str) -> bool:
        """Whether `pointer` names a node that exists in `file` (derived fields do not)."""
        document = self.by_name(file)
        if document is None:
            return False
        node = document.data
        for token in pointer.split("/")[1:]:
            token = unescape_pointer_token(token)
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return False
        return True

    @property
    def providers(self) -> dict[str, Any]:
        return _dict(_dict(self.documents["providers"].data).get("providers"))

    @property
    def roles(self) -> dict[str, Any]:
        return _dict(_dict(self.documents["roles"].data).get("roles"))

    @property
    def cli_interfaces(self) -> dict[str, Any]:
        return _dict(_dict(self.documents["cli_interfaces"].data).get("cli_interfaces"))

    def view(self) -> dict[str, Any]:
        if self._view is None:
            with paused_gc():
                self._view = build_view(self)
        return self._view


def _entries(document: Document, key: str) -> list[dict[str, Any]]:
    items = []
    for ident, body in _dict(_dict(document.data).get(key)).items():
        entry = dict(_dict(body))
        entry.update(id=ident, _file=document.name, _pointer=join_pointer(f"/{key}", ident))
        items.append(entry)
    return items


def effective_cost_tier(provider: dict[str, Any], model: str) -> str | None:
    """A `mixed` catalogue (OpenRouter) is free only for `:free` model variants."""
    tier = provider.get("cost_tier")
    if tier == "mixed":
        return "free" if model.endswith(":free") else "paid"
    return tier if isinstance(tier, str) else None


def _string_leaves(documents: dict[str, Document]) -> list[dict[str, Any]]:
    """Every string value of every governed file, with the mapping keys above it.

    Secret detection (`policies/secrets.yaml`) scans these: it needs each value's field name and
    its place, wherever in a file a key might have been pasted.
    """
    leaves: list[dict[str, Any]] = []

    def walk(node: Any, pointer: str, keys: tuple[str, ...], file: str) -> None:
        if isinstance(node, str):
            leaves.append({"value": node, "field": keys[-1] if keys else "",
                           "keys": list(keys), "_file": file, "_pointer": pointer})
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, join_pointer(pointer, key), (*keys, str(key)), file)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, join_pointer(pointer, index), keys, file)

    for document in documents.values():
        walk(document.data, "", (), document.name)
    return leaves


def build_view(model: GovernanceModel) -> dict[str, Any]:
    docs = model.documents
    providers = _entries(docs["providers"], "providers")
    by_id = {p["id"]: p for p in providers}
    clis = _entries(docs["cli_interfaces"], "cli_interfaces")
    roles = _entries(docs["roles"], "roles")

    chain_entries: list[dict[str, Any]] = []
    for role in roles:
        primary = role.get("primary")
        chain_raw = [primary, *_list(role.get("fallback_chain"))]
        chain = [ref for ref in chain_raw if isinstance(ref, str)]
        role["chain"] = chain
        providers_in_chain: list[str] = []
        for position, ref in enumerate(chain_raw):
            if not isinstance(ref, str):
                continue
            pointer = (
                f"{role['_pointer']}/primary"
                if position == 0
                else f"{role['_pointer']}/fallback_chain/{position - 1}"
            )
            parsed = ModelRef.parse(ref)
            provider = by_id.get(parsed.provider) if parsed else None
            if parsed and parsed.provider not in providers_in_chain:
                providers_in_chain.append(parsed.provider)
            chain_entries.append(
                {
                    "role": role["id"],
                    "role_cost_policy": role.get("cost_policy"),
                    "position": position,
                    "ref": ref,
                    "well_formed": parsed is not None,
                    "provider": parsed.provider if parsed else None,
                    "model": parsed.model if parsed else None,
                    "provider_known": provider is not None,
                    "provider_models": _list(provider.get("models")) if provider else [],
                    "provider_open_catalogue": bool(provider and provider.get("open_catalogue")),
                    "provider_api_format": provider.get("api_format") if provider else None,
                    "provider_type": provider.get("type") if provider else None,
                    "cost_tier": (
                        effective_cost_tier(provider, parsed.model)
                        if provider and parsed
                        else None
                    ),
                    "_file": role["_file"],
                    "_pointer": pointer,
                }
            )
        role["chain_providers"] = providers_in_chain

    slot_bindings = []
    roles_doc = docs["roles"]
    for slot in CCR_SLOTS:
        bound = [r["id"] for r in roles if slot in _list(r.get("ccr_slots"))]
        pointer = "/roles"
        if bound:
            pointer = join_pointer("/roles", bound[-1]) + "/ccr_slots"
        slot_bindings.append(
            {"slot": slot, "roles": bound, "_file": roles_doc.name, "_pointer": pointer}
        )

    role_ids = {r["id"]: r for r in roles}
    entries_by_role: dict[str, list[dict[str, Any]]] = {}
    for entry in chain_entries:  # one pass, not one scan of all entries per CLI role
        entries_by_role.setdefault(entry["role"], []).append(entry)
    cli_role_reach = []
    for cli in clis:
        for index, role_id in enumerate(_list(cli.get("roles"))):
            known = isinstance(role_id, str) and role_id in role_ids
            entries = entries_by_role.get(role_id, []) if known else []
            for entry in entries:
                cli_role_reach.append(
                    {
                        "cli": cli["id"],
                        "cli_api_format": cli.get("api_format"),
                        "proxy_compatible": cli.get("proxy_compatible"),
                        "role": role_id,
                        "ref": entry["ref"],
                        "provider": entry["provider"],
                        "provider_api_format": entry["provider_api_format"],
                        "_file": cli["_file"],
                        "_pointer": f"{cli['_pointer']}/roles/{index}",
                    }
                )

    ssot_doc = docs["ssot"]
    ssot_entries = []
    for index, body in enumerate(_list(_dict(ssot_doc.data).get("ssots"))):
        entry = dict(_dict(body))
        entry.update(_file=ssot_doc.name, _pointer=f"/ssots/{index}")
        ssot_entries.append(entry)
    governed = [
        {
            "kind": kind,
            "path": document.name,
            "_file": ssot_doc.name,
            "_pointer": "/ssots",
        }
        for kind, document in docs.items()
        if kind != "ssot"
    ]

    def registry(kind: str, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        document = docs[kind]
        return {
            "ids": [item.get("id") for item in items],
            "header": {k: v for k, v in _dict(document.data).items() if k != key},
            "_file": document.name,
            "_pointer": f"/{key}",
        }

    leaves = _string_leaves({**docs, "config": model.config.document} if model.config.document
                            else docs)
    files = governed_files(model.root, model.documents, model.config.document, model.roles,
                           model.cli_interfaces)
    return {
        "providers": providers,
        "cli_interfaces": clis,
        "roles": roles,
        "chain_entries": chain_entries,
        "slot_bindings": slot_bindings,
        "cli_role_reach": cli_role_reach,
        "ssot_entries": ssot_entries,
        "governed": governed,
        "string_leaves": leaves,
        "governed_files": files,
        # what secret detection scans: every value with its field, and every governed file
        "text_places": leaves + files,
        "registries": {
            "providers": registry("providers", "providers", providers),
            "cli_interfaces": registry("cli_interfaces", "cli_interfaces", clis),
            "roles": registry("roles", "roles", roles),
            "ssot": {**registry("ssot", "ssots", ssot_entries), "ids": [
                e.get("id") for e in ssot_entries]},
        },
    }


def load_model(root: Path) -> GovernanceModel:
    """The spine at `root`: its settings and registries, loaded and typed (InputError when a
    file is missing or unreadable; schema faults are findings, not errors)."""
    config = load_config(root)
    model = GovernanceModel(root, load_documents(root, config), config)
    _register_referenced_keys(model)
    return model


def _register_referenced_keys(model: GovernanceModel) -> None:
    """The keys the spine's references name, when this process holds them, are scrubbed from
    every output that follows the load (a key pasted into a model id or a scenario is then a
    fingerprint, whether or not the detector knows its format)."""
    refs: list[object] = [body.get("api_key_ref") for body in model.providers.values()
                          if isinstance(body, dict)]
    ccr = model.config.settings.get("ccr")
    if isinstance(ccr, dict):
        refs.append(ccr.get("apikey_ref"))
    register_referenced_keys(refs, os.environ)
