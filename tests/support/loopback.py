"""A plain HTTP(S) server on 127.0.0.1 that records every connection and request, and a
throwaway certificate authority for TLS tests. Used to prove where webhooks may not go.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h11
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PUBLIC = "93.184.215.14"
"""A public address (example.com's) a test name may resolve to; nothing connects to it."""


class Dns:
    """A resolver that answers from a table and counts lookups; answers can change.

    ``Dns(hooks_example_test=["127.0.0.1"])`` resolves ``hooks.example.test``.
    """

    def __init__(self, **answers: Sequence[str]) -> None:
        self.answers = {k.replace("_", "."): list(v) for k, v in answers.items()}
        self.lookups = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups += 1
        if host not in self.answers:
            raise OSError(f"{host}: name or service not known")
        return self.answers[host]


@dataclass
class Seen:
    """One request as it arrived."""

    method: str
    target: str
    headers: dict[str, str]


@dataclass
class LoopbackServer:
    """Answers every request with ``status`` (and ``headers``); counts connections.

    Args:
        tls: serve HTTPS with this context.
    """

    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None
    connections: int = 0
    requests: list[Seen] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> LoopbackServer:
        if self.tls is not None:
            self.tls.sni_callback = self._sni
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    def _sni(self, _socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        self.server_names.append(name)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection = h11.Connection(h11.SERVER)
        try:
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(65536)
                    if not data:
                        break
                    connection.receive_data(data)
                elif isinstance(event, h11.Request):
                    self.requests.append(
                        Seen(
                            event.method.decode(),
                            event.target.decode(),
                            {k.decode().lower(): v.decode() for k, v in event.headers},
                        )
                    )
                elif isinstance(event, h11.EndOfMessage):
                    headers = [*self.headers.items(), ("content-length", "0")]
                    writer.write(
                        connection.send(h11.Response(status_code=self.status, headers=headers))
                        or b""
                    )
                    writer.write(connection.send(h11.EndOfMessage()) or b"")
                    await writer.drain()
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    break
        except (h11.ProtocolError, ConnectionError, OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


@dataclass
class Certificates:
    """A throwaway CA, and what a client that trusts it uses."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def new(cls) -> Certificates:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MPP test CA")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    def client_context(self) -> ssl.SSLContext:
        """Verifies servers against this CA only, hostnames checked."""
        pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode()
        return ssl.create_default_context(cadata=pem)

    def server_context(self, hostname: str, directory: Path) -> ssl.SSLContext:
        """A server context with a certificate for ``hostname`` signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            # Python 3.13 verifies strictly (VERIFY_X509_STRICT): a leaf must name its issuer's key
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(self.key, hashes.SHA256())
        )
        cert_path, key_path = directory / f"{hostname}.pem", directory / f"{hostname}.key"
        cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context
