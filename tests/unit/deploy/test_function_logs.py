"""Every function logs to a log group of its own in the template, which keeps its logs for
LogRetentionInDays (default 30: they carry users' file names), not forever."""

import pytest

from harness import TEMPLATE
from iam import expanded

FUNCTIONS = sorted(TEMPLATE.of_type("AWS::Serverless::Function"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_logs_to_its_own_group_with_the_retention_parameter(function):
    logical = TEMPLATE.resources[function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    group = TEMPLATE.resources[logical]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert TEMPLATE.resolve(group["Properties"]["LogGroupName"]).endswith(f"/{function}")


def test_no_two_functions_share_a_group_and_the_default_is_30_days():
    groups = [TEMPLATE.resources[f]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in FUNCTIONS]
    assert len(set(groups)) == len(FUNCTIONS)
    assert TEMPLATE.body["Parameters"]["LogRetentionInDays"]["Default"] == 30


def test_the_deployed_functions_name_their_group():
    """As samtranslator passes it on to AWS::Lambda::Function."""
    deployed = expanded()
    for function in FUNCTIONS:
        config = deployed.resources[function]["Properties"]["LoggingConfig"]
        assert config == {"LogGroup": {"Ref": f"{function}Logs"}}
