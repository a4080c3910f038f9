from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.workflow_version import WorkflowVersion
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    name: str,
    *,
    version: int | None | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    json_version: int | None | Unset
    if isinstance(version, Unset):
        json_version = UNSET
    else:
        json_version = version
    params["version"] = json_version


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/workflows/{name}".format(name=quote(str(name), safe=""),),
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | WorkflowVersion | None:
    if response.status_code == 200:
        response_200 = WorkflowVersion.from_dict(response.json())



        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())



        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())



        return response_409

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())



        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | WorkflowVersion]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    name: str,
    *,
    client: AuthenticatedClient | Client,
    version: int | None | Unset = UNSET,

) -> Response[Problem | WorkflowVersion]:
    """ Get Workflow

     A version of a workflow (the current one by default), with its spec.

    Args:
        name (str):
        version (int | None | Unset): Default: the current one.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WorkflowVersion]
     """


    kwargs = _get_kwargs(
        name=name,
version=version,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    name: str,
    *,
    client: AuthenticatedClient | Client,
    version: int | None | Unset = UNSET,

) -> Problem | WorkflowVersion | None:
    """ Get Workflow

     A version of a workflow (the current one by default), with its spec.

    Args:
        name (str):
        version (int | None | Unset): Default: the current one.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WorkflowVersion
     """


    return sync_detailed(
        name=name,
client=client,
version=version,

    ).parsed

async def asyncio_detailed(
    name: str,
    *,
    client: AuthenticatedClient | Client,
    version: int | None | Unset = UNSET,

) -> Response[Problem | WorkflowVersion]:
    """ Get Workflow

     A version of a workflow (the current one by default), with its spec.

    Args:
        name (str):
        version (int | None | Unset): Default: the current one.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WorkflowVersion]
     """


    kwargs = _get_kwargs(
        name=name,
version=version,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    name: str,
    *,
    client: AuthenticatedClient | Client,
    version: int | None | Unset = UNSET,

) -> Problem | WorkflowVersion | None:
    """ Get Workflow

     A version of a workflow (the current one by default), with its spec.

    Args:
        name (str):
        version (int | None | Unset): Default: the current one.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WorkflowVersion
     """


    return (await asyncio_detailed(
        name=name,
client=client,
version=version,

    )).parsed
