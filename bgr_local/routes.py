"""The API's routes as template.yaml declares them: each function's `Api` events (path with
{params}, method) and the authorizer in front of each (the event's `Auth.Authorizer`, else the
Api's `DefaultAuthorizer`; `NONE` makes a route public). The one place a route is mapped to its
function and its authorizer."""

import re
from dataclasses import dataclass, field

from .template import Template


@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # "/api/background-remover/jobs/{jobId}"
    function: str  # logical id
    authorizer: str | None  # a name in the Api's Auth.Authorizers; None: public
    pattern: re.Pattern = field(compare=False, repr=False)

    @property
    def public(self) -> bool:
        return self.authorizer is None

    @property
    def params(self) -> int:
        return self.resource.count("{")


@dataclass(frozen=True)
class Match:
    route: Route
    path_params: dict[str, str]


def _pattern(resource: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", resource)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$")


def routes(template: Template) -> list[Route]:
    apis = template.of_type("AWS::Serverless::Api")
    found = []
    for logical, resource in template.of_type("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            props = event["Properties"]
            api = apis[props["RestApiId"]["Ref"]]["Properties"]
            authorizer = (props.get("Auth") or {}).get("Authorizer") or api.get("Auth", {}).get(
                "DefaultAuthorizer"
            )
            route = Route(
                props["Method"].upper(),
                props["Path"],
                logical,
                None if authorizer in (None, "NONE") else authorizer,
                _pattern(props["Path"]),
            )
            found.append(route)
    return found


def resolve(table: list[Route], method: str, path: str) -> Match | None | bool:
    """The route for (method, path), the most literal resource winning as in API Gateway; False
    when the path exists under other methods only, None when no resource has the path."""
    candidates = [(r, m) for r in table if (m := r.pattern.match(path))]
    if not candidates:
        return None
    for route, match in sorted(candidates, key=lambda c: c[0].params):
        if route.method in (method.upper(), "ANY"):
            return Match(route, match.groupdict())
    return False
