from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast
from uuid import UUID



def _get_kwargs(
    run_id: UUID,
    *,
    task_id: None | Unset | UUID = UNSET,
    last_event_id: None | Unset | UUID = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["last-event-id"] = last_event_id



    

    params: dict[str, Any] = {}

    json_task_id: None | str | Unset
    if isinstance(task_id, Unset):
        json_task_id = UNSET
    elif isinstance(task_id, UUID):
        json_task_id = str(task_id)
    else:
        json_task_id = task_id
    params["task_id"] = json_task_id


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/runs/{run_id}/output".format(run_id=quote(str(run_id), safe=""),),
        "params": params,
    }


    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())



        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())



        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    run_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    task_id: None | Unset | UUID = UNSET,
    last_event_id: None | Unset | UUID = UNSET,

) -> Response[Problem | str]:
    """ Stream Output

     A run's streamed task output (ctx.stream) as server-sent events: every chunk already
    written, then each new one as it is written, until the run has finished. A client that
    reconnects with Last-Event-ID gets what it missed.

    Args:
        run_id (UUID):
        task_id (None | Unset | UUID): Only this task's chunks.
        last_event_id (None | Unset | UUID): The chunk_id of the last chunk received: resume after
            it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
     """


    kwargs = _get_kwargs(
        run_id=run_id,
task_id=task_id,
last_event_id=last_event_id,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    run_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    task_id: None | Unset | UUID = UNSET,
    last_event_id: None | Unset | UUID = UNSET,

) -> Problem | str | None:
    """ Stream Output

     A run's streamed task output (ctx.stream) as server-sent events: every chunk already
    written, then each new one as it is written, until the run has finished. A client that
    reconnects with Last-Event-ID gets what it missed.

    Args:
        run_id (UUID):
        task_id (None | Unset | UUID): Only this task's chunks.
        last_event_id (None | Unset | UUID): The chunk_id of the last chunk received: resume after
            it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
     """


    return sync_detailed(
        run_id=run_id,
client=client,
task_id=task_id,
last_event_id=last_event_id,

    ).parsed

async def asyncio_detailed(
    run_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    task_id: None | Unset | UUID = UNSET,
    last_event_id: None | Unset | UUID = UNSET,

) -> Response[Problem | str]:
    """ Stream Output

     A run's streamed task output (ctx.stream) as server-sent events: every chunk already
    written, then each new one as it is written, until the run has finished. A client that
    reconnects with Last-Event-ID gets what it missed.

    Args:
        run_id (UUID):
        task_id (None | Unset | UUID): Only this task's chunks.
        last_event_id (None | Unset | UUID): The chunk_id of the last chunk received: resume after
            it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
     """


    kwargs = _get_kwargs(
        run_id=run_id,
task_id=task_id,
last_event_id=last_event_id,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    run_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    task_id: None | Unset | UUID = UNSET,
    last_event_id: None | Unset | UUID = UNSET,

) -> Problem | str | None:
    """ Stream Output

     A run's streamed task output (ctx.stream) as server-sent events: every chunk already
    written, then each new one as it is written, until the run has finished. A client that
    reconnects with Last-Event-ID gets what it missed.

    Args:
        run_id (UUID):
        task_id (None | Unset | UUID): Only this task's chunks.
        last_event_id (None | Unset | UUID): The chunk_id of the last chunk received: resume after
            it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
     """


    return (await asyncio_detailed(
        run_id=run_id,
client=client,
task_id=task_id,
last_event_id=last_event_id,

    )).parsed
