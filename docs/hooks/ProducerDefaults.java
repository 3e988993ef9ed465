import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * Prints the version of the kafka-clients jar on the classpath ("#version TAB 4.3.1"), then every
 * producer setting with its default, one "name TAB default" line each, for the configuration
 * reference page (docs/hooks/producer_defaults.py). A setting without a default prints
 * "<no default>"; a null default prints "null".
 */
public class ProducerDefaults {
    public static void main(String[] args) {
        System.out.println("#version\t" + AppInfoParser.getVersion());
        Map<String, ConfigDef.ConfigKey> keys = new TreeMap<>(ProducerConfig.configDef().configKeys());
        for (ConfigDef.ConfigKey key : keys.values()) {
            String value = key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : "<no default>";
            System.out.println(key.name + "\t" + (value == null ? "null" : value));
        }
    }
}
