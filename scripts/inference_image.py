"""The inference image from its one description (functions/inference/image.toml).

    python scripts/inference_image.py dockerfile [--check]   # render (or compare) the Dockerfile
    python scripts/inference_image.py assemble DIR           # the image's file tree under DIR

The tree under DIR is what the image holds for the function: DIR/var/task (the packages, pip
--target as the Dockerfile installs them, and the code) and DIR/opt/models (the models these
machines have; the Dockerfile downloads all of them). A code file the description drops stays
behind in DIR/var/task until the requirements change; `make clean` removes DIR.
"""

import argparse
import hashlib
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = ROOT / "functions/inference/image.toml"
DOCKERFILE = ROOT / "functions/inference/Dockerfile"
LOCAL_MODELS = ROOT / "models"  # where `make setup` provisions the models these machines have

# a directory inside the image being built, not on this machine (bandit B108)
IMAGE_TMP = "/tmp"  # nosec B108


@dataclass(frozen=True)
class Image:
    base: str
    task_root: str
    handler: str
    requirements: list[str]
    models: list[str]
    models_dir: str
    code: dict[str, str]  # source in the repository -> destination under task_root
    env: dict[str, str]

    @classmethod
    def load(cls, path: Path = DESCRIPTION) -> "Image":
        return cls(**tomllib.loads(path.read_text()))

    def dockerfile(self) -> str:
        staged = [f"{IMAGE_TMP}/requirements/{i}.txt" for i in range(len(self.requirements))]
        env = " \\\n    ".join(f"{name}={value}" for name, value in self.env.items())
        lines = [
            f"# Rendered from {DESCRIPTION.relative_to(ROOT)} by scripts/inference_image.py"
            " (`make dockerfile`): edit that file.",
            "# Build context: the repository root (template.yaml DockerContext: .).",
            f"FROM {self.base}",
            "",
            f"ENV {env}",
            "",
            *(f"COPY {src} {dst}" for src, dst in zip(self.requirements, staged, strict=True)),
            'RUN pip install --no-cache-dir --target "${LAMBDA_TASK_ROOT}" '
            + " ".join(f"-r {path}" for path in staged),
            "",
            "# The models, with rembg's own downloader (checksums included).",
            f'RUN PYTHONPATH="${{LAMBDA_TASK_ROOT}}" U2NET_HOME={self.models_dir} python -c "import sys; \\',
            "from rembg.sessions import sessions_class; names = {c.name(): c for c in sessions_class}; \\",
            '[names[m].download_models() for m in sys.argv[1:]]" ' + " ".join(self.models),
            "",
            *(f"COPY {src} ${{LAMBDA_TASK_ROOT}}/{dst}" for src, dst in self.code.items()),
            "",
            f'CMD ["{self.handler}"]',
        ]
        if self.task_root != "/var/task":
            raise ValueError("the Lambda base image's LAMBDA_TASK_ROOT is /var/task")
        return "\n".join(lines) + "\n"

    def packages_digest(self) -> str:
        """Changes whenever what pip installs could change."""
        digest = hashlib.sha256(sys.version.encode())
        for path in self.requirements:
            digest.update((ROOT / path).read_bytes())
        return digest.hexdigest()[:16]

    def assemble(self, folder: Path) -> Path:
        """The image's file tree under `folder`; packages are reinstalled only when the
        requirements change, the code and the models are copied afresh."""
        task_root = folder / self.task_root.lstrip("/")
        stamp = folder / f".packages-{self.packages_digest()}"
        if not stamp.exists():
            shutil.rmtree(folder, ignore_errors=True)
            command = [sys.executable, "-m", "pip", "install", "-q", "--no-warn-script-location"]
            command += ["--target", str(task_root)]
            for path in self.requirements:
                command += ["-r", str(ROOT / path)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"pip install --target failed:\n{done.stdout}{done.stderr}")
            stamp.touch()
        for src, dst in self.code.items():
            source, target = ROOT / src, task_root / dst
            if source.is_dir():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, target)
        models = folder / self.models_dir.lstrip("/")
        shutil.rmtree(models, ignore_errors=True)
        models.mkdir(parents=True)
        for name in self.provisioned_models():
            shutil.copy2(LOCAL_MODELS / f"{name}.onnx", models / f"{name}.onnx")
        return folder

    def provisioned_models(self) -> list[str]:
        return [name for name in self.models if (LOCAL_MODELS / f"{name}.onnx").is_file()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("dockerfile")
    render.add_argument("--check", action="store_true", help="fail if the Dockerfile differs")
    commands.add_parser("assemble").add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    image = Image.load()
    if args.command == "assemble":
        print(image.assemble(args.folder))
        return 0
    if args.check:
        if DOCKERFILE.read_text() != image.dockerfile():
            print(f"{DOCKERFILE.relative_to(ROOT)} is not rendered from {DESCRIPTION.relative_to(ROOT)}")
            return 1
        return 0
    DOCKERFILE.write_text(image.dockerfile())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
