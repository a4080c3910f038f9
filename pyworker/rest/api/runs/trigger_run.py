from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.trigger_request import TriggerRequest
from ...models.triggered import Triggered
from typing import cast



def _get_kwargs(
    *,
    body: TriggerRequest,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/runs",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Triggered | None:
    if response.status_code == 201:
        response_201 = Triggered.from_dict(response.json())



        return response_201

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | Triggered]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TriggerRequest,

) -> Response[Problem | Triggered]:
    """ Trigger Run

     Start a run of a workflow (the current version). A W3C `traceparent` header makes the
    run's trace a part of the caller's (docs/observability.md#traces). A large input is kept
    in the payload store (docs/payloads.md).

    Args:
        body (TriggerRequest): A run to start.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Triggered]
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
    body: TriggerRequest,

) -> Problem | Triggered | None:
    """ Trigger Run

     Start a run of a workflow (the current version). A W3C `traceparent` header makes the
    run's trace a part of the caller's (docs/observability.md#traces). A large input is kept
    in the payload store (docs/payloads.md).

    Args:
        body (TriggerRequest): A run to start.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Triggered
     """


    return sync_detailed(
        client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TriggerRequest,

) -> Response[Problem | Triggered]:
    """ Trigger Run

     Start a run of a workflow (the current version). A W3C `traceparent` header makes the
    run's trace a part of the caller's (docs/observability.md#traces). A large input is kept
    in the payload store (docs/payloads.md).

    Args:
        body (TriggerRequest): A run to start.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Triggered]
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
    body: TriggerRequest,

) -> Problem | Triggered | None:
    """ Trigger Run

     Start a run of a workflow (the current version). A W3C `traceparent` header makes the
    run's trace a part of the caller's (docs/observability.md#traces). A large input is kept
    in the payload store (docs/payloads.md).

    Args:
        body (TriggerRequest): A run to start.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Triggered
     """


    return (await asyncio_detailed(
        client=client,
body=body,

    )).parsed
