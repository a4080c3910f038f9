from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.step_stats_page import StepStatsPage
from ...types import UNSET, Unset
from typing import cast
import datetime



def _get_kwargs(
    workflow: str,
    *,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

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


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/stats/workflows/{workflow}/steps".format(workflow=quote(str(workflow), safe=""),),
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | StepStatsPage | None:
    if response.status_code == 200:
        response_200 = StepStatsPage.from_dict(response.json())



        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())



        return response_401

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())



        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | StepStatsPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    workflow: str,
    *,
    client: AuthenticatedClient | Client,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,

) -> Response[Problem | StepStatsPage]:
    """ Step Stats

     Per step of a workflow, the task attempts that ended in the window, with p95s.

    Args:
        workflow (str):
        since (datetime.datetime | None | Unset): The window's start; default: an hour before
            `until`.
        until (datetime.datetime | None | Unset): The window's end; default: now.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | StepStatsPage]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
since=since,
until=until,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    workflow: str,
    *,
    client: AuthenticatedClient | Client,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,

) -> Problem | StepStatsPage | None:
    """ Step Stats

     Per step of a workflow, the task attempts that ended in the window, with p95s.

    Args:
        workflow (str):
        since (datetime.datetime | None | Unset): The window's start; default: an hour before
            `until`.
        until (datetime.datetime | None | Unset): The window's end; default: now.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | StepStatsPage
     """


    return sync_detailed(
        workflow=workflow,
client=client,
since=since,
until=until,

    ).parsed

async def asyncio_detailed(
    workflow: str,
    *,
    client: AuthenticatedClient | Client,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,

) -> Response[Problem | StepStatsPage]:
    """ Step Stats

     Per step of a workflow, the task attempts that ended in the window, with p95s.

    Args:
        workflow (str):
        since (datetime.datetime | None | Unset): The window's start; default: an hour before
            `until`.
        until (datetime.datetime | None | Unset): The window's end; default: now.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | StepStatsPage]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
since=since,
until=until,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    workflow: str,
    *,
    client: AuthenticatedClient | Client,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,

) -> Problem | StepStatsPage | None:
    """ Step Stats

     Per step of a workflow, the task attempts that ended in the window, with p95s.

    Args:
        workflow (str):
        since (datetime.datetime | None | Unset): The window's start; default: an hour before
            `until`.
        until (datetime.datetime | None | Unset): The window's end; default: now.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | StepStatsPage
     """


    return (await asyncio_detailed(
        workflow=workflow,
client=client,
since=since,
until=until,

    )).parsed
