from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.schedule import Schedule
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    workflow: None | str | Unset = UNSET,
    pending_only: bool | Unset = True,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    json_workflow: None | str | Unset
    if isinstance(workflow, Unset):
        json_workflow = UNSET
    else:
        json_workflow = workflow
    params["workflow"] = json_workflow

    params["pending_only"] = pending_only


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/schedules",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | list[Schedule] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in (_response_200):
            response_200_item = Schedule.from_dict(response_200_item_data)



            response_200.append(response_200_item)

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | list[Schedule]]:
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
    pending_only: bool | Unset = True,

) -> Response[Problem | list[Schedule]]:
    """ List Schedules

     Scheduled runs, soonest first.

    Args:
        workflow (None | str | Unset):
        pending_only (bool | Unset): Leave out those that started. Default: True.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Schedule]]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
pending_only=pending_only,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    pending_only: bool | Unset = True,

) -> Problem | list[Schedule] | None:
    """ List Schedules

     Scheduled runs, soonest first.

    Args:
        workflow (None | str | Unset):
        pending_only (bool | Unset): Leave out those that started. Default: True.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Schedule]
     """


    return sync_detailed(
        client=client,
workflow=workflow,
pending_only=pending_only,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    pending_only: bool | Unset = True,

) -> Response[Problem | list[Schedule]]:
    """ List Schedules

     Scheduled runs, soonest first.

    Args:
        workflow (None | str | Unset):
        pending_only (bool | Unset): Leave out those that started. Default: True.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Schedule]]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
pending_only=pending_only,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    workflow: None | str | Unset = UNSET,
    pending_only: bool | Unset = True,

) -> Problem | list[Schedule] | None:
    """ List Schedules

     Scheduled runs, soonest first.

    Args:
        workflow (None | str | Unset):
        pending_only (bool | Unset): Leave out those that started. Default: True.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Schedule]
     """


    return (await asyncio_detailed(
        client=client,
workflow=workflow,
pending_only=pending_only,

    )).parsed
