"""Jobs, stats, credits, admin grants and health (the account function)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import Router

from bgr_core.api import features, health
from bgr_core.api.identity import Admin, User
from bgr_core.api.paths import BGR, path_id
from bgr_core.api.requests import GrantRequest
from bgr_core.api.views import (
    Balance,
    BatchItems,
    BatchItemView,
    BatchList,
    BatchResponse,
    BatchView,
    GrantResponse,
    Health,
    HealthStatus,
    JobList,
    JobResponse,
    JobView,
    Ledger,
    LedgerEntryView,
    StatsResponse,
    WebhookSecretView,
    respond,
)
from bgr_core.integrations import webhooks
from bgr_core.money import account_summary, credits
from bgr_core.work import batches, jobs

router = Router()


Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(description="nextCursor of the previous page")]


@router.get(f"{BGR}/jobs", summary="The caller's single jobs, newest first")
def list_jobs(user: User, limit: Limit = 20, cursor: Cursor = None) -> JobList:
    page, next_cursor = jobs.list_for_user(user.user_id, limit, cursor)
    return JobList(jobs=[JobView.of(j) for j in page], next_cursor=next_cursor)


@router.get(f"{BGR}/jobs/<jobId>", summary="One job, with download URLs once completed")
def get_job(job_id: Annotated[str, path_id("jobId")], user: User) -> JobResponse:
    return JobResponse(job=JobView.of(jobs.get_for_user(user.user_id, job_id)))


batch_on = [features.required("batch")]


@router.get(f"{BGR}/batches", summary="The caller's batches, newest first", middlewares=batch_on)
def list_batches(user: User, limit: Limit = 20, cursor: Cursor = None) -> BatchList:
    page, next_cursor = batches.list_for_user(user.user_id, limit, cursor)
    return BatchList(batches=[BatchView.of(b) for b in page], next_cursor=next_cursor)


@router.get(f"{BGR}/batch/<batchId>", summary="A batch's progress, prices and ZIP", middlewares=batch_on)
def get_batch(batch_id: Annotated[str, path_id("batchId")], user: User) -> BatchResponse:
    batch = batches.get_for_user(user.user_id, batch_id)
    return BatchResponse(batch=BatchView.of(batch))


@router.get(f"{BGR}/batch/<batchId>/items", summary="Each image of a batch", middlewares=batch_on)
def get_batch_items(batch_id: Annotated[str, path_id("batchId")], user: User) -> BatchItems:
    items = batches.items_for_user(user.user_id, batch_id)
    return BatchItems(batch_id=batch_id, items=[BatchItemView.of(i) for i in items])


@router.get(f"{BGR}/stats", summary="The caller's account summary")
def get_stats(user: User) -> StatsResponse:
    return StatsResponse(stats=account_summary.for_user(user.user_id))


@router.get("/api/credits/balance", summary="The caller's credit balance")
def balance(user: User) -> Balance:
    return Balance(balance=credits.balance(user.user_id))


@router.get("/api/webhooks/secret", summary="The secret that signs the caller's webhooks (made on first use)")
def webhook_secret(user: User) -> WebhookSecretView:
    record = webhooks.secret_for(user.user_id)
    return WebhookSecretView(secret=record.secret, created_at=record.created_at)


@router.post(
    "/api/webhooks/secret", summary="Rotate the webhook secret: deliveries from now on use the new one"
)
def rotate_webhook_secret(user: User) -> WebhookSecretView:
    record = webhooks.rotate_secret(user.user_id)
    return WebhookSecretView(secret=record.secret, created_at=record.created_at)


LedgerLimit = Annotated[int, Query(ge=1, le=200)]


def _ledger(user_id: str, limit: int) -> Ledger:
    entries = credits.ledger(user_id, limit)
    return Ledger(
        user_id=user_id, balance=credits.balance(user_id), entries=[LedgerEntryView.of(e) for e in entries]
    )


@router.get("/api/credits/ledger", summary="The caller's balance and ledger, newest first")
def own_ledger(user: User, limit: LedgerLimit = 50) -> Ledger:
    return _ledger(user.user_id, limit)


@router.post("/api/admin/users/<userId>/credits", summary="Add credits to a user (admins)")
def grant(
    user_id: Annotated[str, path_id("userId")], request: Annotated[GrantRequest, Body()], admin: Admin
) -> GrantResponse:
    entry = credits.grant(user_id, request.amount, admin_id=admin.user_id, reason=request.reason)
    return GrantResponse(balance=int(entry.balance_after), entry=LedgerEntryView.of(entry))


@router.get("/api/admin/users/<userId>/credits", summary="A user's balance and ledger (admins)")
def ledger(user_id: Annotated[str, path_id("userId")], admin: Admin, limit: LedgerLimit = 50) -> Ledger:
    return _ledger(user_id, limit)


@router.get(
    "/health",
    summary="The service's status, public: 200 healthy or 503 degraded (the details: /api/admin/health)",
    responses={503: {"description": "degraded", "content": {"application/json": {"model": HealthStatus}}}},
)
def get_health() -> Response[HealthStatus]:
    status = health.status()
    return respond(HealthStatus(status=status), 200 if status == "healthy" else 503)


@router.get(
    "/api/admin/health",
    summary="Tables, bucket, queue, models and feature flags, and what is missing (admins)",
    responses={503: {"description": "degraded", "content": {"application/json": {"model": Health}}}},
)
def admin_health(admin: Admin) -> Response[Health]:
    report = health.check()
    return respond(report, 200 if report.status == "healthy" else 503)
