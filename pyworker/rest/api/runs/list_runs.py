from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.list_runs_status_type_0_item import ListRunsStatusType0Item
from ...models.problem import Problem
from ...models.run_page import RunPage
from ...types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime



def _get_kwargs(
    *,
    workflow: None | str | Unset = UNSET,
    status: list[ListRunsStatusType0Item] | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    replay_of: None | Unset | UUID = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    json_workflow: None | str | Unset
    if isinstance(workflow, Unset):
        json_workflow = UNSET
    else:
        json_workflow = workflow
    params["workflow"] = json_workflow

    json_status: list[str] | None | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, list):
        json_status = []
        for status_type_0_item_data in status:
            status_type_0_item = status_type_0_item_data.value
            json_status.append(status_type_0_item)


    else:
        json_status = status
    params["status"] = json_status

    json_since: None | str | Unset
    if isinstance(since, Unset):
        json_since = UNSET
    elif isinstance(since, datetime.datetime):
        json_since = since.isoformat()
    else:
        json_since = since
    params["since"] = json_since

    json_until: None | str | Unset
    if isinstance(until, Unset):
        json_until = UNSET
    elif isinstance(until, datetime.datetime):
        json_until = until.isoformat()
    else:
        json_until = until
    params["until"] = json_until

    json_replay_of: None | str | Unset
    if isinstance(replay_of, Unset):
        json_replay_of = UNSET
    elif isinstance(replay_of, UUID):
        json_replay_of = str(replay_of)
    else:
        json_replay_of = replay_of
    params["replay_of"] = json_replay_of

    json_metadata: None | str | Unset
    if isinstance(metadata, Unset):
        json_metadata = UNSET
    else:
        json_metadata = metadata
    params["metadata"] = json_metadata

    params["limit"] = limit

    json_before: None | str | Unset
    if isinstance(before, Unset):
        json_before = UNSET
    elif isinstance(before, UUID):
        json_before = str(before)
    else:
        json_before = before
    params["before"] = json_before


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/runs",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | RunPage | None:
    if response.status_code == 200:
        response_200 = RunPage.from_dict(response.json())



        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())



        return response_401

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())



        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | RunPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    status: list[ListRunsStatusType0Item] | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    replay_of: None | Unset | UUID = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> Response[Problem | RunPage]:
    """ List Runs

     Runs matching every filter given, newest first, a page at a time.

    Args:
        workflow (None | str | Unset):
        status (list[ListRunsStatusType0Item] | None | Unset):
        since (datetime.datetime | None | Unset):
        until (datetime.datetime | None | Unset):
        replay_of (None | Unset | UUID):
        metadata (None | str | Unset): Tags the runs carry, as a JSON object: {"k": "v"}
        limit (int | Unset):  Default: 100.
        before (None | Unset | UUID): A run id: the runs older than it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RunPage]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
status=status,
since=since,
until=until,
replay_of=replay_of,
metadata=metadata,
limit=limit,
before=before,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    status: list[ListRunsStatusType0Item] | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    replay_of: None | Unset | UUID = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> Problem | RunPage | None:
    """ List Runs

     Runs matching every filter given, newest first, a page at a time.

    Args:
        workflow (None | str | Unset):
        status (list[ListRunsStatusType0Item] | None | Unset):
        since (datetime.datetime | None | Unset):
        until (datetime.datetime | None | Unset):
        replay_of (None | Unset | UUID):
        metadata (None | str | Unset): Tags the runs carry, as a JSON object: {"k": "v"}
        limit (int | Unset):  Default: 100.
        before (None | Unset | UUID): A run id: the runs older than it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RunPage
     """


    return sync_detailed(
        client=client,
workflow=workflow,
status=status,
since=since,
until=until,
replay_of=replay_of,
metadata=metadata,
limit=limit,
before=before,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    status: list[ListRunsStatusType0Item] | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    replay_of: None | Unset | UUID = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> Response[Problem | RunPage]:
    """ List Runs

     Runs matching every filter given, newest first, a page at a time.

    Args:
        workflow (None | str | Unset):
        status (list[ListRunsStatusType0Item] | None | Unset):
        since (datetime.datetime | None | Unset):
        until (datetime.datetime | None | Unset):
        replay_of (None | Unset | UUID):
        metadata (None | str | Unset): Tags the runs carry, as a JSON object: {"k": "v"}
        limit (int | Unset):  Default: 100.
        before (None | Unset | UUID): A run id: the runs older than it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RunPage]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
status=status,
since=since,
until=until,
replay_of=replay_of,
metadata=metadata,
limit=limit,
before=before,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    status: list[ListRunsStatusType0Item] | None | Unset = UNSET,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    replay_of: None | Unset | UUID = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> Problem | RunPage | None:
    """ List Runs

     Runs matching every filter given, newest first, a page at a time.

    Args:
        workflow (None | str | Unset):
        status (list[ListRunsStatusType0Item] | None | Unset):
        since (datetime.datetime | None | Unset):
        until (datetime.datetime | None | Unset):
        replay_of (None | Unset | UUID):
        metadata (None | str | Unset): Tags the runs carry, as a JSON object: {"k": "v"}
        limit (int | Unset):  Default: 100.
        before (None | Unset | UUID): A run id: the runs older than it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RunPage
     """


    return (await asyncio_detailed(
        client=client,
workflow=workflow,
status=status,
since=since,
until=until,
replay_of=replay_of,
metadata=metadata,
limit=limit,
before=before,

    )).parsed
