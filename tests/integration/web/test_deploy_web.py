"""`make web-deploy`'s upload: the built app and its config.json into the web bucket (moto)."""

import json

import boto3
from moto import mock_aws

from scripts.deploy_web import IMMUTABLE, NO_CACHE, app_config, publish

OUTPUTS = {
    "ApiUrl": "https://abc.execute-api.ap-southeast-3.amazonaws.com/dev",
    "UserPoolId": "ap-southeast-3_pool",
    "UserPoolClientId": "client",
    "UserPoolDomain": "bgr-123.auth.ap-southeast-3.amazoncognito.com",
}


def test_publish_uploads_the_app_and_its_config_and_removes_stale_files(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="web")
        s3.put_object(Bucket="web", Key="assets/index-old.js", Body=b"old")
        written = publish(s3, "web", tmp_path, app_config(OUTPUTS, "ap-southeast-3"))
        assert written == ["assets/index-abc123.js", "index.html", "config.json"]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="web")["Contents"]]
        assert sorted(keys) == sorted(written)
        index = s3.get_object(Bucket="web", Key="index.html")
        assert index["ContentType"] == "text/html" and index["CacheControl"] == NO_CACHE
        script = s3.get_object(Bucket="web", Key="assets/index-abc123.js")
        assert script["ContentType"] == "text/javascript" and script["CacheControl"] == IMMUTABLE
        config = json.loads(s3.get_object(Bucket="web", Key="config.json")["Body"].read())
    assert config == {
        "apiUrl": OUTPUTS["ApiUrl"],
        "auth": {
            "mode": "cognito",
            "region": "ap-southeast-3",
            "userPoolId": "ap-southeast-3_pool",
            "clientId": "client",
            "domain": OUTPUTS["UserPoolDomain"],
        },
    }
