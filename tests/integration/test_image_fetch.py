"""Image downloads against a real local HTTP(S) server: addresses, redirects, sizes, timeouts, pinning."""

from __future__ import annotations

import asyncio
import io
import ipaddress
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image

from control_plane.domain.images import ImageFormat, ImagePolicy, ImageRejected, IPAddress, RejectReason
from control_plane.integrations.images.fetch import FetchedImage, Resolver, SafeImageFetcher
from control_plane.integrations.images.thumbnails import inspect_and_thumbnail

POLICY = ImagePolicy(max_bytes=256 * 1024, connect_timeout_s=1.0, read_timeout_s=0.5, total_timeout_s=2.0)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "teal").save(out, "JPEG")
    return out.getvalue()


JPEG = _jpeg()

Handler = Callable[["Request", asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True)
class Request:
    path: str
    host: str


@dataclass
class ImageServer:
    """Minimal HTTP/1.1 on 127.0.0.1; each path is a behaviour, every request is recorded."""

    routes: dict[str, Handler]
    tls: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def __aenter__(self) -> ImageServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        self._stop.set()
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def hang(self) -> None:
        await self._stop.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Requests on one connection until the client closes it (keep-alive, so clients pool connections)."""
        self._writers.add(writer)
        try:
            while not reader.at_eof():
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
                request = Request(path=head[0].split(" ")[1], host=headers.get("Host", ""))
                self.requests.append(request)
                await self.routes[request.path](request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client went away, which several tests make it do
        finally:
            self._writers.discard(writer)
            writer.close()


async def respond(writer: asyncio.StreamWriter, status: str, headers: dict[str, str], body: bytes = b"") -> None:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    writer.write("\r\n".join(lines).encode() + body)
    await writer.drain()


def image(content_type: str = "image/jpeg") -> Handler:
    async def handler(_: Request, writer: asyncio.StreamWriter) -> None:
        await respond(writer, "200 OK", {"Content-Type": content_type, "Content-Length": str(len(JPEG))}, JPEG)

    return handler


def redirect(location: str) -> Handler:
    async def handler(_: Request, writer: asyncio.StreamWriter) -> None:
        await respond(writer, "302 Found", {"Location": location, "Content-Length": "0"})

    return handler


def status(code: str) -> Handler:
    async def handler(_: Request, writer: asyncio.StreamWriter) -> None:
        await respond(writer, code, {"Content-Length": "0"})

    return handler


async def endless(_: Request, writer: asyncio.StreamWriter) -> None:
    await respond(writer, "200 OK", {"Content-Type": "image/jpeg", "Connection": "close"})
    while True:  # until the client hangs up
        writer.write(JPEG)
        await writer.drain()


async def liar(_: Request, writer: asyncio.StreamWriter) -> None:
    await respond(writer, "200 OK", {"Content-Length": "100"}, JPEG * 2)


def stub_resolver(table: dict[str, list[str]], calls: list[str]) -> Resolver:
    async def resolve(host: str) -> list[IPAddress]:
        calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in table[host]]

    return resolve


@pytest.fixture
async def server() -> AsyncIterator[ImageServer]:
    routes: dict[str, Handler] = {
        "/good.jpg": image(),
        "/mislabelled": image("text/html; charset=utf-8"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "/relative": redirect("/good.jpg"),
        "/loop": redirect("/loop"),
        "/endless": endless,
        "/liar": liar,
        "/missing": status("404 Not Found"),
        "/busy": status("503 Service Unavailable"),
    }
    async with ImageServer(routes) as running:

        async def announced_huge(_: Request, writer: asyncio.StreamWriter) -> None:
            await respond(writer, "200 OK", {"Content-Length": str(10**10)})
            await running.hang()

        async def silent(_: Request, __: asyncio.StreamWriter) -> None:
            await running.hang()

        routes.update({"/announced-huge": announced_huge, "/silent": silent})
        yield running


@pytest.fixture
async def other_server() -> AsyncIterator[ImageServer]:
    async with ImageServer({"/good.jpg": image()}) as running:
        yield running


def allowing(server: ImageServer, **kwargs: object) -> SafeImageFetcher:
    return SafeImageFetcher(None, POLICY, allow_hosts=frozenset({f"127.0.0.1:{server.port}"}), **kwargs)  # type: ignore[arg-type]


async def reason_for(fetcher: SafeImageFetcher, url: str) -> ImageRejected:
    async with fetcher:
        with pytest.raises(ImageRejected) as caught:
            await fetcher.fetch(url)
    return caught.value


async def test_a_loopback_url_is_refused_unless_allow_listed(server: ImageServer) -> None:
    refused = await reason_for(SafeImageFetcher(None, POLICY), server.url("/good.jpg"))
    assert refused.reason is RejectReason.ADDRESS
    assert server.requests == [], "nothing may be sent to a refused address"
    async with allowing(server) as fetcher:
        fetched = await fetcher.fetch(server.url("/good.jpg"))
    assert fetched == FetchedImage(JPEG, server.url("/good.jpg"), "image/jpeg")


async def test_the_system_resolver_is_checked_too(server: ImageServer) -> None:
    refused = await reason_for(SafeImageFetcher(None, POLICY), server.url("/good.jpg", host="localhost"))
    assert refused.reason is RejectReason.ADDRESS and server.requests == []


async def test_a_wrong_content_type_is_irrelevant_the_bytes_decide(server: ImageServer) -> None:
    async with allowing(server) as fetcher:
        fetched = await fetcher.fetch(server.url("/mislabelled"))
    assert fetched.content_type_header == "text/html; charset=utf-8"
    assert inspect_and_thumbnail(fetched.data, POLICY).format is ImageFormat.JPEG


async def test_redirects_are_followed_and_each_hop_is_checked(server: ImageServer, other_server: ImageServer) -> None:
    async with allowing(server) as fetcher:
        fetched = await fetcher.fetch(server.url("/relative"))
    assert fetched.data == JPEG and fetched.final_url == server.url("/good.jpg")

    server.routes["/to-other-port"] = redirect(other_server.url("/good.jpg"))
    assert (await reason_for(allowing(server), server.url("/to-other-port"))).reason is RejectReason.ADDRESS
    assert other_server.requests == [], "the allow-list names one host:port, not all of loopback"
    assert (await reason_for(allowing(server), server.url("/to-metadata"))).reason is RejectReason.ADDRESS
    assert (await reason_for(allowing(server), server.url("/loop"))).reason is RejectReason.REDIRECTS
    assert len([r for r in server.requests if r.path == "/loop"]) == POLICY.max_redirects + 1


async def test_bodies_are_cut_at_the_limit_whatever_they_announce(server: ImageServer) -> None:
    assert (await reason_for(allowing(server), server.url("/endless"))).reason is RejectReason.TOO_LARGE
    # That server announces 10 GB and then sends nothing: only the header can refuse it (waiting would time out).
    assert (await reason_for(allowing(server), server.url("/announced-huge"))).reason is RejectReason.TOO_LARGE
    async with allowing(server) as fetcher:
        fetched = await fetcher.fetch(server.url("/liar"))
    assert fetched.data == JPEG[:100], "never more than the announced length is read from a response"


async def test_slow_servers_time_out(server: ImageServer) -> None:
    refused = await reason_for(allowing(server), server.url("/silent"))
    assert refused.reason is RejectReason.TIMEOUT and refused.retryable
    assert "ReadTimeout" in refused.detail, "the read timeout fires before the total one"

    async def trickle(_: Request, writer: asyncio.StreamWriter) -> None:
        await respond(writer, "200 OK", {"Content-Length": "100000"})
        while True:  # each byte well within the read timeout; the whole never within the total
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.05)

    server.routes["/trickle"] = trickle
    quick = replace(POLICY, total_timeout_s=0.8)
    fetcher = SafeImageFetcher(None, quick, allow_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    started = time.monotonic()
    assert (await reason_for(fetcher, server.url("/trickle"))).reason is RejectReason.TIMEOUT
    assert quick.total_timeout_s <= time.monotonic() - started < quick.total_timeout_s + 1


async def test_only_2xx_is_an_image(server: ImageServer) -> None:
    missing = await reason_for(allowing(server), server.url("/missing"))
    assert (missing.reason, missing.status, missing.retryable) == (RejectReason.HTTP_STATUS, 404, False)
    busy = await reason_for(allowing(server), server.url("/busy"))
    assert (busy.reason, busy.status, busy.retryable) == (RejectReason.HTTP_STATUS, 503, True)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["10.0.0.5"], RejectReason.ADDRESS),
        (["93.184.215.14", "10.0.0.5"], RejectReason.ADDRESS),  # one bad answer is enough
        (["::ffff:169.254.169.254"], RejectReason.ADDRESS),
        ([], RejectReason.DNS),
    ],
)
async def test_names_resolving_to_private_addresses_are_refused(answer: list[str], reason: RejectReason) -> None:
    calls: list[str] = []
    fetcher = SafeImageFetcher(None, POLICY, resolver=stub_resolver({"evil.test": answer}, calls))
    assert (await reason_for(fetcher, "http://evil.test/cat.jpg")).reason is reason
    assert calls == ["evil.test"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://images.example/cat.jpg", RejectReason.SCHEME),
        ("file:///etc/passwd", RejectReason.SCHEME),
        ("gopher://127.0.0.1:6379/_INFO", RejectReason.SCHEME),
        ("http://user:secret@images.example/cat.jpg", RejectReason.URL),
        ("http:///cat.jpg", RejectReason.URL),
        ("http://unknown.test/cat.jpg", RejectReason.DNS),
    ],
)
async def test_urls_that_are_not_plain_http_are_refused(url: str, reason: RejectReason) -> None:
    fetcher = SafeImageFetcher(None, POLICY, resolver=stub_resolver({}, []))
    assert (await reason_for(fetcher, url)).reason is reason


async def test_the_checked_address_is_the_one_connected_to(server: ImageServer) -> None:
    """The name is resolved once, by us; the request keeps the name in its Host header."""
    calls: list[str] = []
    host = "images.sim.test"
    resolver = stub_resolver({host: ["127.0.0.1"]}, calls)
    allow = frozenset({f"{host}:{server.port}"})
    async with SafeImageFetcher(None, POLICY, allow_hosts=allow, resolver=resolver) as fetcher:
        fetched = await fetcher.fetch(server.url("/good.jpg", host=host))
    assert fetched.data == JPEG and calls == [host]
    assert server.requests[-1] == Request("/good.jpg", f"{host}:{server.port}")


def server_and_client_contexts(name: str, folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for ``name`` only; the client trusts exactly that certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[ImageServer, ssl.SSLContext]]:
    server_context, client_context = server_and_client_contexts("images.sim.test", tmp_path)
    async with ImageServer({"/good.jpg": image()}, tls=server_context) as running:
        yield running, client_context


async def test_https_sends_the_name_as_sni_and_verifies_the_certificate_for_it(
    tls_server: tuple[ImageServer, ssl.SSLContext],
) -> None:
    server, client_context = tls_server
    table = {"images.sim.test": ["127.0.0.1"], "other.sim.test": ["127.0.0.1"]}
    allow = frozenset(table)
    async with httpx.AsyncClient(verify=client_context) as http:
        fetcher = SafeImageFetcher(http, POLICY, allow_hosts=allow, resolver=stub_resolver(table, []))
        fetched = await fetcher.fetch(server.url("/good.jpg", host="images.sim.test", scheme="https"))
        assert fetched.data == JPEG
        # Same address, so the client's pool offers the connection verified for images.sim.test;
        # it must not be used, and a connection of its own fails verification for this name.
        with pytest.raises(ImageRejected) as caught:
            await fetcher.fetch(server.url("/good.jpg", host="other.sim.test", scheme="https"))
    assert caught.value.reason is RejectReason.CONNECTION
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.detail
