from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.list_workers_status_type_0_item import ListWorkersStatusType0Item
from ...models.problem import Problem
from ...models.worker import Worker
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    status: list[ListWorkersStatusType0Item] | None | Unset = UNSET,
    limit: int | Unset = 1000,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

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

    params["limit"] = limit


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/workers",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | list[Worker] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in (_response_200):
            response_200_item = Worker.from_dict(response_200_item_data)



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | list[Worker]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: list[ListWorkersStatusType0Item] | None | Unset = UNSET,
    limit: int | Unset = 1000,

) -> Response[Problem | list[Worker]]:
    """ List Workers

     Workers, newest first, with the tasks each holds.

    Args:
        status (list[ListWorkersStatusType0Item] | None | Unset):
        limit (int | Unset):  Default: 1000.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Worker]]
     """


    kwargs = _get_kwargs(
        status=status,
limit=limit,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    status: list[ListWorkersStatusType0Item] | None | Unset = UNSET,
    limit: int | Unset = 1000,

) -> Problem | list[Worker] | None:
    """ List Workers

     Workers, newest first, with the tasks each holds.

    Args:
        status (list[ListWorkersStatusType0Item] | None | Unset):
        limit (int | Unset):  Default: 1000.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Worker]
     """


    return sync_detailed(
        client=client,
status=status,
limit=limit,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: list[ListWorkersStatusType0Item] | None | Unset = UNSET,
    limit: int | Unset = 1000,

) -> Response[Problem | list[Worker]]:
    """ List Workers

     Workers, newest first, with the tasks each holds.

    Args:
        status (list[ListWorkersStatusType0Item] | None | Unset):
        limit (int | Unset):  Default: 1000.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Worker]]
     """


    kwargs = _get_kwargs(
        status=status,
limit=limit,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    status: list[ListWorkersStatusType0Item] | None | Unset = UNSET,
    limit: int | Unset = 1000,

) -> Problem | list[Worker] | None:
    """ List Workers

     Workers, newest first, with the tasks each holds.

    Args:
        status (list[ListWorkersStatusType0Item] | None | Unset):
        limit (int | Unset):  Default: 1000.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Worker]
     """


    return (await asyncio_detailed(
        client=client,
status=status,
limit=limit,

    )).parsed
