package guide.fieldguide.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** $KAFKA_CLIENT_CONFIG: a properties file read as the Java client's own tools read one; unset, no settings. */
class ClientConfigTest {

    @Test
    void withoutTheVariableThereAreNoSettings() {
        assertEquals(new Properties(), ClientConfig.security(Map.of()));
        assertEquals(new Properties(), ClientConfig.security(Map.of(ClientConfig.ENV_VAR, "")));
    }

    @Test
    void theFileItNamesIsReadWithItsJaasLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, String.join("\n",
                "# kafkalab: admin's settings",
                "security.protocol=SASL_SSL",
                "sasl.mechanism=SCRAM-SHA-512",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"admin\" password=\"admin-secret\";",
                ""));
        Properties props = ClientConfig.security(Map.of(ClientConfig.ENV_VAR, file.toString()));
        assertEquals(3, props.size());
        assertEquals("SASL_SSL", props.getProperty("security.protocol"));
        assertEquals("org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"admin\" password=\"admin-secret\";", props.getProperty("sasl.jaas.config"));
    }

    @Test
    void aMissingFileIsReportedWithTheVariable(@TempDir Path dir) {
        Path missing = dir.resolve("nope.properties");
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> ClientConfig.security(Map.of(ClientConfig.ENV_VAR, missing.toString())));
        assertTrue(e.getMessage().startsWith("KAFKA_CLIENT_CONFIG: cannot read " + missing), e.getMessage());
    }
}
