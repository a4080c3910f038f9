from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.run_changes_status_type_0_item import RunChangesStatusType0Item
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    workflow: None | str | Unset = UNSET,
    status: list[RunChangesStatusType0Item] | None | Unset = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,

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

    json_metadata: None | str | Unset
    if isinstance(metadata, Unset):
        json_metadata = UNSET
    else:
        json_metadata = metadata
    params["metadata"] = json_metadata

    params["limit"] = limit


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/runs/changes",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = response.text
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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | str]:
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
    status: list[RunChangesStatusType0Item] | None | Unset = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,

) -> Response[Problem | str]:
    """ Run Changes

     The runs matching a filter, live: their current state, then each change, woken by
    the engine's notifications (and re-read every 2 s for changes none announces).

    Args:
        workflow (None | str | Unset):
        status (list[RunChangesStatusType0Item] | None | Unset):
        metadata (None | str | Unset): Tags the runs carry, as a JSON object: {"k": "v"}
        limit (int | Unset): Runs watched: the newest. Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
status=status,
metadata=metadata,
limit=limit,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    status: list[RunChangesStatusType0Item] | None | Unset = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,

) -> Problem | str | None:
    """ Run Changes

     The runs matching a filter, live: their current state, then each change, woken by
    the engine's notifications (and re-read every 2 s for changes none announces).

    Args:
        workflow (None | str | Unset):
        status (list[RunChangesStatusType0Item] | None | Unset):
        metadata (None | str | Unset): Tags the runs carry, as a JSON object: {"k": "v"}
        limit (int | Unset): Runs watched: the newest. Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
     """


    return sync_detailed(
        client=client,
workflow=workflow,
status=status,
metadata=metadata,
limit=limit,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    status: list[RunChangesStatusType0Item] | None | Unset = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,

) -> Response[Problem | str]:
    """ Run Changes

     The runs matching a filter, live: their current state, then each change, woken by
    the engine's notifications (and re-read every 2 s for changes none announces).

    Args:
        workflow (None | str | Unset):
        status (list[RunChangesStatusType0Item] | None | Unset):
        metadata (None | str | Unset): Tags the runs carry, as a JSON object: {"k": "v"}
        limit (int | Unset): Runs watched: the newest. Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
status=status,
metadata=metadata,
limit=limit,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    status: list[RunChangesStatusType0Item] | None | Unset = UNSET,
    metadata: None | str | Unset = UNSET,
    limit: int | Unset = 100,

) -> Problem | str | None:
    """ Run Changes

     The runs matching a filter, live: their current state, then each change, woken by
    the engine's notifications (and re-read every 2 s for changes none announces).

    Args:
        workflow (None | str | Unset):
        status (list[RunChangesStatusType0Item] | None | Unset):
        metadata (None | str | Unset): Tags the runs carry, as a JSON object: {"k": "v"}
        limit (int | Unset): Runs watched: the newest. Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
     """


    return (await asyncio_detailed(
        client=client,
workflow=workflow,
status=status,
metadata=metadata,
limit=limit,

    )).parsed
