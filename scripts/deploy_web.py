"""Publishes the web app to a deployed stack: web/dist into the stack's WebBucket, with the
config.json the app reads at start (the API URL, the Cognito pool, client and hosted UI domain,
from the stack's outputs), then invalidates the CloudFront distribution.

    make web-deploy [STACK=background-remover-pro] [REGION=ap-southeast-3]   (after `sam deploy`)
"""

import argparse
import json
import mimetypes
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "web" / "dist"
NO_CACHE = "no-cache"  # index.html and config.json: revalidated, so a deploy shows at once
IMMUTABLE = "public, max-age=31536000, immutable"  # Vite's content-hashed assets


def app_config(outputs: dict[str, str], region: str) -> dict:
    return {
        "apiUrl": outputs["ApiUrl"],
        "auth": {
            "mode": "cognito",
            "region": region,
            "userPoolId": outputs["UserPoolId"],
            "clientId": outputs["UserPoolClientId"],
            "domain": outputs["UserPoolDomain"],
        },
    }


def publish(s3, bucket: str, dist: Path, config: dict) -> list[str]:
    """Uploads every file of `dist` and config.json; removes what an earlier deploy left."""
    if not (dist / "index.html").exists():
        raise SystemExit(f"{dist} has no index.html: run `make web` first")
    written = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        key = path.relative_to(dist).as_posix()
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            CacheControl=IMMUTABLE if key.startswith("assets/") else NO_CACHE,
        )
        written.append(key)
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(config, indent=2).encode(),
        ContentType="application/json",
        CacheControl=NO_CACHE,
    )
    written.append("config.json")
    stale = [
        {"Key": o["Key"]}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
        if o["Key"] not in written
    ]
    if stale:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale})
    return written


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", required=True)
    args = parser.parse_args()
    session = boto3.Session(region_name=args.region)
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    written = publish(session.client("s3"), outputs["WebBucketName"], DIST, app_config(outputs, args.region))
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["WebDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(time.time())},
    )
    print(f"{len(written)} files in s3://{outputs['WebBucketName']}; the app: {outputs['WebUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
