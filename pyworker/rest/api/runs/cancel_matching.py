from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.cancel_matching_request import CancelMatchingRequest
from ...models.cancelled_many import CancelledMany
from ...models.problem import Problem
from typing import cast



def _get_kwargs(
    *,
    body: CancelMatchingRequest,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/runs/cancel",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> CancelledMany | Problem | None:
    if response.status_code == 200:
        response_200 = CancelledMany.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[CancelledMany | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CancelMatchingRequest,

) -> Response[CancelledMany | Problem]:
    """ Cancel Matching

     Cancel every queued or running run matching all the filters given (at least one).

    Args:
        body (CancelMatchingRequest): Which runs to cancel: every filter given must match; at
            least one is required.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CancelledMany | Problem]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    body: CancelMatchingRequest,

) -> CancelledMany | Problem | None:
    """ Cancel Matching

     Cancel every queued or running run matching all the filters given (at least one).

    Args:
        body (CancelMatchingRequest): Which runs to cancel: every filter given must match; at
            least one is required.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CancelledMany | Problem
     """


    return sync_detailed(
        client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CancelMatchingRequest,

) -> Response[CancelledMany | Problem]:
    """ Cancel Matching

     Cancel every queued or running run matching all the filters given (at least one).

    Args:
        body (CancelMatchingRequest): Which runs to cancel: every filter given must match; at
            least one is required.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CancelledMany | Problem]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: CancelMatchingRequest,

) -> CancelledMany | Problem | None:
    """ Cancel Matching

     Cancel every queued or running run matching all the filters given (at least one).

    Args:
        body (CancelMatchingRequest): Which runs to cancel: every filter given must match; at
            least one is required.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CancelledMany | Problem
     """


    return (await asyncio_detailed(
        client=client,
body=body,

    )).parsed
