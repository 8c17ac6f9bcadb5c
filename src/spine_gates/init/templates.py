"""The files `gates init` writes: one table of target path -> template and how an existing file
is treated. Templates are package data under `templates/`, rendered with today's date, the owner
and the scope."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# The CI workflow templates (another package's data): every file under it is copied as is, to
# the same relative path, when the folder exists.
CI_TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "ci"


class Existing(enum.Enum):
    """What init does when the target already exists (it never overwrites)."""

    REFUSE = "refuse"  # identical: nothing to do; different: a conflict, exit 3
    KEEP = "keep"  # the user's own (their waivers, their CI workflow): left as it is
    MERGE = "merge"  # entries init needs are added; everything else is kept


@dataclass(frozen=True)
class Template:
    target: str
    source: str
    existing: Existing


SSOT = "docs/governance/SSOT_REGISTRY.yaml"
CAPABILITIES = "ops/capabilities.yaml"
CAPABILITY_MAP = "ops/bindings/capability_map.yaml"
PRE_COMMIT = ".pre-commit-config.yaml"
CLAUDE_SETTINGS = ".claude/settings.json"

TEMPLATES = (
    Template("docs/governance/PROVIDER_REGISTRY.yaml", "docs/governance/PROVIDER_REGISTRY.yaml",
             Existing.REFUSE),
    Template("docs/governance/CLI_INTERFACE_REGISTRY.yaml",
             "docs/governance/CLI_INTERFACE_REGISTRY.yaml", Existing.REFUSE),
    Template("docs/governance/ROLE_PROVIDER_MAPS.yaml", "docs/governance/ROLE_PROVIDER_MAPS.yaml",
             Existing.REFUSE),
    Template("docs/governance/SECRETS_MANIFEST.yaml", "docs/governance/SECRETS_MANIFEST.yaml",
             Existing.REFUSE),
    Template(SSOT, SSOT, Existing.MERGE),
    Template("docs/brain/claude-code-inject.md", "docs/brain/claude-code-inject.md",
             Existing.REFUSE),
    Template("docs/brain/roles/architect.md", "docs/brain/roles/architect.md", Existing.REFUSE),
    Template("docs/brain/roles/executor.md", "docs/brain/roles/executor.md", Existing.REFUSE),
    Template("docs/brain/roles/background.md", "docs/brain/roles/background.md",
             Existing.REFUSE),
    Template("spine-gates.yaml", "spine-gates.yaml", Existing.REFUSE),
    Template("waivers.yaml", "waivers.yaml", Existing.KEEP),
    Template(PRE_COMMIT, "pre-commit-config.yaml", Existing.MERGE),
    Template(CAPABILITIES, CAPABILITIES, Existing.MERGE),
    Template(CAPABILITY_MAP, CAPABILITY_MAP, Existing.MERGE),
)

# The session-start hook merged into the project's .claude/settings.json (never the user's home).
SESSION_COMMAND = 'gates session check --root "$CLAUDE_PROJECT_DIR"'
SESSION_HOOK = {"matcher": "startup|resume",
                "hooks": [{"type": "command", "command": SESSION_COMMAND, "timeout": 15}]}


@dataclass(frozen=True)
class Values:
    today: str
    owner: str
    scope: str


def render(source: str, values: Values) -> str:
    path = TEMPLATE_DIR / source
    text = path.read_text("utf-8")
    if not path.is_relative_to(TEMPLATE_DIR):  # a CI template: copied as it ships
        return text
    return (text.replace("@TODAY@", values.today).replace("@OWNER@", values.owner)
            .replace("@SCOPE@", values.scope))


# Where each CI system's templates go in the spine: GitHub runs every workflow in
# .github/workflows/; GitLab runs only .gitlab-ci.yml, which includes the job from .gitlab/ (so the
# job is harmless in a repository on another forge). Other folders keep their relative path.
CI_PLACES = {"github": ".github/workflows", "gitlab": ".gitlab"}


def ci_templates() -> list[Template]:
    """Every file under the CI template folder, if it ships; kept when the user has one."""
    if not CI_TEMPLATE_DIR.is_dir():
        return []
    out = []
    for path in sorted(CI_TEMPLATE_DIR.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        first, *rest = path.relative_to(CI_TEMPLATE_DIR).parts
        target = "/".join([CI_PLACES[first], *rest] if first in CI_PLACES and rest
                          else [first, *rest])
        out.append(Template(target, str(path), Existing.KEEP))
    return out


def slug(text: str, fallback: str) -> str:
    """A value safe unquoted in YAML and in an owner handle: lowercase, digits, '-', '_', '.'."""
    cleaned = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-.")
    return cleaned if re.fullmatch(r"[a-z][a-z0-9_.-]*", cleaned) else fallback
