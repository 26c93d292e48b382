"""`rembg p` (rembg's folder command, rembg/commands/p_command.py, unchanged) without the rest of
its CLI: `rembg.commands/__init__` imports every subcommand, and the server's (`rembg s`:
fastapi, uvicorn, aiohttp, gradio) are not what `p` runs. Its own imports (click, filetype,
tqdm, watchdog) are pinned in requirements-dev.txt.

    python -m bench.rembg_p -m u2netp INPUT_FOLDER OUTPUT_FOLDER
"""

import importlib.util
import sys
import types
from pathlib import Path

import rembg


def p_command():
    package = types.ModuleType("rembg.commands")
    package.__path__ = [str(Path(rembg.__file__).parent / "commands")]
    sys.modules["rembg.commands"] = package
    spec = importlib.util.find_spec("rembg.commands.p_command")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.p_command


if __name__ == "__main__":
    p_command()(sys.argv[1:], prog_name="rembg p")
