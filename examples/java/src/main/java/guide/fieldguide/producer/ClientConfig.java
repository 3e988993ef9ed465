package guide.fieldguide.producer;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * The connection contract: {@code $KAFKA_BOOTSTRAP_SERVERS} names the cluster and {@code $KAFKA_CLIENT_CONFIG},
 * when set, a properties file of its security settings (security.protocol, ssl.truststore.*, sasl.*), in the
 * Java client's own names. Every example adds these settings to its producer, admin client and consumer, so
 * the same code reaches a plaintext lab cluster or a secured one. kafkalab writes such a file for each secured
 * cluster (client.properties in its state dir); the Python examples read the same file.
 */
public final class ClientConfig {
    public static final String ENV_VAR = "KAFKA_CLIENT_CONFIG";

    private ClientConfig() {
    }

    // --8<-- [start:security]
    /** The settings of the file {@code $KAFKA_CLIENT_CONFIG} names; none when it is unset. */
    public static Properties security() {
        return security(System.getenv());
    }

    static Properties security(Map<String, String> env) {
        String path = env.get(ENV_VAR);
        return path == null || path.isBlank() ? new Properties() : load(Path.of(path));
    }
    // --8<-- [end:security]

    /** A Java properties file, as the clients' own --command-config and client.properties files are read. */
    public static Properties load(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(ENV_VAR + ": cannot read " + file, e);
        }
        return props;
    }
}
