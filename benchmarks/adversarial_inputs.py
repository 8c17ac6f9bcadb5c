"""Write the adversarial input set: spines whose provider registry sits at a loader limit.

Each case is the reference spine (registries, inject files, scenarios) with its
`PROVIDER_REGISTRY.yaml` grown to one limit of `spine_gates.model.loader`, read at the time of
writing, so the set follows the limits when they change:

- `alias-fanout`: a few KB whose anchors and aliases expand to just under MAX_NODES: valid
  providers that all alias one template with a long model list (every check, the compiler and the
  routing evaluator walk all of them);
- `alias-laughs`: the same node count as nested lists ("billion laughs") under one provider field;
- `most-keys`: as many providers as the limits allow, each a one-key mapping (`pN: {}`), so every
  one of them is also a schema finding;
- `deepest-nesting`: mappings nested MAX_DEPTH levels deep under a provider, repeated across as many
  providers as fit in MAX_NODES;
- `longest-string`: one model name MAX_STRING characters long (the secret scanner, the compiler
  and the token counter all read it);
- `largest-file`: valid providers with long model names filling MAX_BYTES.

    python benchmarks/adversarial_inputs.py --out /tmp/adversarial        # every case
    python benchmarks/adversarial_inputs.py --out /tmp/adv longest-string
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

from spine_gates.errors import InputError  # noqa: E402
from spine_gates.model import loader  # noqa: E402

TARGET = "docs/governance/PROVIDER_REGISTRY.yaml"
_MARGIN_BYTES = 4096  # headroom below the byte limit for the long string's own line

_PROVIDER = ("type: hosted, api_format: openai, api_base: 'https://adv.example/v1', "
             "quota_type: credits, cost_tier: paid")


def _base() -> str:
    return (REPO / TARGET).read_text(encoding="utf-8")


def _fits(text: str) -> bool:
    try:
        loader.parse_yaml(text, Path(TARGET), TARGET)
    except InputError:
        return False
    return len(text.encode("utf-8")) <= loader.MAX_BYTES


def _largest(build: Callable[[int], str], low: int = 1) -> str:
    """The largest `build(n)` the loader still accepts (binary search on n)."""
    if not _fits(build(low)):
        raise SystemExit(f"even n={low} is over the limits")
    high = low * 2
    while _fits(build(high)):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if _fits(build(middle)):
            low = middle
        else:
            high = middle
    return build(low)


def alias_fanout() -> str:
    models = 200

    def build(providers: int) -> str:
        template = ", ".join(f"fan-model-{i}" for i in range(models))
        lines = [_base(), f"  fan0: &fan {{{_PROVIDER}, models: [{template}]}}\n"]
        lines += [f"  fan{i}: *fan\n" for i in range(1, providers)]
        return "".join(lines)

    return _largest(build)


def alias_laughs() -> str:
    def build(levels: int) -> str:
        lines = [_base(), "  laughs:\n", "    notes: &l0 [x, x, x, x, x, x, x, x, x, x]\n"]
        lines += [f"    l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, levels)]
        return "".join(lines)

    # Ten-fold steps overshoot; finish the last level with as many aliases as still fit.
    levels = 1
    while _fits(build(levels + 1)):
        levels += 1
    head = build(levels)

    def widen(count: int) -> str:
        return head + f"    top: [{', '.join([f'*l{levels - 1}'] * count)}]\n"

    return _largest(widen)


def most_keys() -> str:
    def build(count: int) -> str:
        return _base() + "".join(f"  k{i}: {{}}\n" for i in range(count))

    return _largest(build, 1000)


def deepest_nesting() -> str:
    depth = loader.MAX_DEPTH - 3  # providers -> id -> notes -> ...

    def build(count: int) -> str:
        nest = "{a: " * depth + "x" + "}" * depth
        return _base() + "".join(f"  deep{i}: {{notes: {nest}}}\n" for i in range(count))

    return _largest(build)


def longest_string() -> str:
    limit = getattr(loader, "MAX_STRING", loader.MAX_BYTES)
    room = min(limit, loader.MAX_BYTES - len(_base().encode("utf-8")) - _MARGIN_BYTES)

    def build(length: int) -> str:
        return _base() + f"  long: {{{_PROVIDER}, models: [{'m' * length}]}}\n"

    text = build(room)
    return text if _fits(text) else _largest(build, 1)


def largest_file() -> str:
    name = "vendor/" + "n" * 80

    def build(count: int) -> str:
        lines = [_base()]
        per = 20
        for p in range(0, count, per):
            models = ", ".join(f"{name}-{m}" for m in range(p, min(count, p + per)))
            lines.append(f"  big{p}: {{{_PROVIDER}, models: [{models}]}}\n")
        return "".join(lines)

    return _largest(build, 20)


CASES: dict[str, Callable[[], str]] = {
    "alias-fanout": alias_fanout,
    "alias-laughs": alias_laughs,
    "most-keys": most_keys,
    "deepest-nesting": deepest_nesting,
    "longest-string": longest_string,
    "largest-file": largest_file,
}


def write_spine(root: Path, case: str) -> Path:
    """The reference spine at `root` with its provider registry replaced by `case`."""
    for part in ("docs/governance", "docs/brain", "scenarios"):
        shutil.copytree(REPO / part, root / part)
    (root / TARGET).write_text(CASES[case](), encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("cases", nargs="*", metavar="CASE", help=", ".join(CASES))
    args = parser.parse_args()
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    for case in args.cases or CASES:
        root = write_spine(args.out / case, case)
        size = (root / TARGET).stat().st_size
        print(f"{case}: {root / TARGET} ({size:,} bytes)")


if __name__ == "__main__":
    main()
