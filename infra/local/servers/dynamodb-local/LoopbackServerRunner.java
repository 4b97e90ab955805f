import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;

/**
 * Starts DynamoDB Local bound to one address (default 127.0.0.1) instead of all interfaces.
 *
 * <p>DynamoDB Local 2.6.1 has no bind option: DynamoDBProxyServer does `new Server(port)`, whose Jetty
 * connector listens on every interface. The connector is reachable only through the private field
 * `server`, so this sets its host before start. Takes the same arguments as ServerRunner; the address
 * comes from the system property `strata.bindHost`. Tied to 2.6.1's internals: re-check on upgrade.
 */
public final class LoopbackServerRunner {
  private LoopbackServerRunner() {}

  public static void main(String[] args) throws Exception {
    String host = System.getProperty("strata.bindHost", "127.0.0.1");
    // Also configures telemetry as ServerRunner.main does (a no-op with -disableTelemetry).
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((AbstractNetworkConnector) connector).setHost(host);
    }
    // Jetty's threads are non-daemon, so the JVM keeps serving after main returns.
    proxy.start();
  }
}
