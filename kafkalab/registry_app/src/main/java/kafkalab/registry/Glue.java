package kafkalab.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/**
 * What the excluded config-index extension would have produced at build time: the list of settings
 * that can be changed while the registry runs. kafkalab changes none, so the list is empty and every
 * setting keeps the value it started with.
 */
@ApplicationScoped
public class Glue {
    @Produces
    @ApplicationScoped
    DynamicConfigPropertyList dynamicConfigProperties() {
        return new DynamicConfigPropertyList(List.of());
    }
}
