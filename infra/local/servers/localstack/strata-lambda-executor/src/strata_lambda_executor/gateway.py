"""LocalStack's default (Twisted) gateway server, listening on the host GATEWAY_LISTEN names.

LocalStack 2026.3.0's Twisted server drops the host of an IPv4 GATEWAY_LISTEN address ("TODO: interface =
host?" in localstack/runtime/server/twisted.py) and listens on all interfaces; the Hypercorn server binds
correctly but is not LocalStack's default. This is the default server with only the bind fixed.
Selected with GATEWAY_SERVER=strata-twisted.
"""

from rolo.gateway import Gateway
from rolo.serving.twisted import TwistedGateway
from twisted.internet import endpoints, reactor, ssl

from localstack import config
from localstack.aws.serving.twisted import TLSMultiplexerFactory
from localstack.runtime.server.twisted import TwistedRuntimeServer


class BoundTwistedRuntimeServer(TwistedRuntimeServer):
    def register(
        self,
        gateway: Gateway,
        listen: list[config.HostAndPort],
        ssl_creds: tuple[str, str] | None = None,
    ):
        # Same as TwistedRuntimeServer.register, except for `interface=` on IPv4 endpoints.
        site = TwistedGateway(gateway)
        protocol_factory = site
        if ssl_creds:
            cert_file_name, key_file_name = ssl_creds
            context_factory = ssl.DefaultOpenSSLContextFactory(key_file_name, cert_file_name)
            context_factory.getContext().use_certificate_chain_file(cert_file_name)
            protocol_factory = TLSMultiplexerFactory(context_factory, False, site)

        for host_and_port in listen:
            if config.is_ipv6_address(host_and_port.host):
                endpoint_type = endpoints.TCP6ServerEndpoint
            else:
                endpoint_type = endpoints.TCP4ServerEndpoint
            endpoint = endpoint_type(reactor, host_and_port.port, interface=host_and_port.host)
            endpoint.listen(protocol_factory)
