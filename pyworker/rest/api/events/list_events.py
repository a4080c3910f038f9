from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.event_page import EventPage
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast
from uuid import UUID



def _get_kwargs(
    *,
    key: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    json_key: None | str | Unset
    if isinstance(key, Unset):
        json_key = UNSET
    else:
        json_key = key
    params["key"] = json_key

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
        "url": "/v1/events",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> EventPage | Problem | None:
    if response.status_code == 200:
        response_200 = EventPage.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[EventPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    key: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> Response[EventPage | Problem]:
    """ List Events

     Events pushed, newest first, a page at a time.

    Args:
        key (None | str | Unset): Only this exact key.
        limit (int | Unset):  Default: 100.
        before (None | Unset | UUID): An event id: the events older than it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | Problem]
     """


    kwargs = _get_kwargs(
        key=key,
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
    key: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> EventPage | Problem | None:
    """ List Events

     Events pushed, newest first, a page at a time.

    Args:
        key (None | str | Unset): Only this exact key.
        limit (int | Unset):  Default: 100.
        before (None | Unset | UUID): An event id: the events older than it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | Problem
     """


    return sync_detailed(
        client=client,
key=key,
limit=limit,
before=before,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    key: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> Response[EventPage | Problem]:
    """ List Events

     Events pushed, newest first, a page at a time.

    Args:
        key (None | str | Unset): Only this exact key.
        limit (int | Unset):  Default: 100.
        before (None | Unset | UUID): An event id: the events older than it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | Problem]
     """


    kwargs = _get_kwargs(
        key=key,
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
    key: None | str | Unset = UNSET,
    limit: int | Unset = 100,
    before: None | Unset | UUID = UNSET,

) -> EventPage | Problem | None:
    """ List Events

     Events pushed, newest first, a page at a time.

    Args:
        key (None | str | Unset): Only this exact key.
        limit (int | Unset):  Default: 100.
        before (None | Unset | UUID): An event id: the events older than it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | Problem
     """


    return (await asyncio_detailed(
        client=client,
key=key,
limit=limit,
before=before,

    )).parsed
