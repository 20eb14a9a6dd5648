package io.nativemem.micrometer;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the binder registers: names, tags, types and units, exactly; and how Prometheus sees them. */
@ExtendWith(LedgerBalance.class)
class MeterNamesTest {

    private static final Set<String> EXPECTED = Set.of(
            "jvm.buffer.count{id=nativemem} GAUGE buffers",
            "jvm.buffer.memory.used{id=nativemem} GAUGE bytes",
            "jvm.buffer.total.capacity{id=nativemem} GAUGE bytes",
            "jvm.buffer.count{id=nativemem-mapped} GAUGE buffers",
            "jvm.buffer.memory.used{id=nativemem-mapped} GAUGE bytes",
            "jvm.buffer.total.capacity{id=nativemem-mapped} GAUGE bytes",
            "nativemem.memory.max{} GAUGE bytes",
            "nativemem.memory.peak{} GAUGE bytes",
            "nativemem.reservation.wait{} TIMER seconds",
            "nativemem.reservation.failures{} COUNTER null",
            "nativemem.gc.requests{} COUNTER null",
            "nativemem.blocks.freed{cause=gc} COUNTER null",
            "nativemem.blocks.freed{cause=explicit} COUNTER null");

    @Test
    void registersExactlyTheDocumentedMeters() {
        MeterRegistry registry = new SimpleMeterRegistry();
        new NativeMemoryMetrics().bindTo(registry);

        assertEquals(new TreeSet<>(EXPECTED), describe(registry));
    }

    @Test
    void bindingTwiceRegistersNothingNew() {
        MeterRegistry registry = new SimpleMeterRegistry();
        NativeMemoryMetrics metrics = new NativeMemoryMetrics();
        metrics.bindTo(registry);
        metrics.bindTo(registry);
        new NativeMemoryMetrics().bindTo(registry);

        assertEquals(EXPECTED.size(), registry.getMeters().size());
    }

    @Test
    void extraTagsGoOnEveryMeter() {
        MeterRegistry registry = new SimpleMeterRegistry();
        new NativeMemoryMetrics(Tags.of("application", "orders")).bindTo(registry);

        Set<String> expected = EXPECTED.stream()
                .map(line -> line.replace("{}", "{application=orders}").replace("{id=", "{application=orders,id=")
                        .replace("{cause=", "{application=orders,cause="))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, describe(registry));
    }

    /** Dashboards match on name and unit; Prometheus also wants one description per name. */
    @ParameterizedTest
    @ValueSource(strings = {"jvm.buffer.count", "jvm.buffer.memory.used", "jvm.buffer.total.capacity"})
    void bufferPoolMetersLookLikeThoseOfJvmMemoryMetrics(String name) {
        MeterRegistry jdk = new SimpleMeterRegistry();
        new JvmMemoryMetrics().bindTo(jdk);
        Meter.Id direct = jdk.get(name).tag("id", "direct").meter().getId();

        MeterRegistry ours = new SimpleMeterRegistry();
        new NativeMemoryMetrics().bindTo(ours);
        for (String id : List.of("nativemem", "nativemem-mapped")) {
            Meter.Id nativemem = ours.get(name).tag("id", id).meter().getId();
            assertEquals(direct.getType(), nativemem.getType(), name + " " + id);
            assertEquals(direct.getBaseUnit(), nativemem.getBaseUnit(), name + " " + id);
            assertEquals(direct.getDescription(), nativemem.getDescription(), name + " " + id);
            assertEquals(keys(direct.getTags()), keys(nativemem.getTags()), name + " " + id);
        }
    }

    @Test
    void prometheusShowsOurPoolsInTheJdkFamiliesAndNamesTheRest() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new NativeMemoryMetrics().bindTo(registry);
        String scrape = registry.scrape();

        for (String family : List.of("jvm_buffer_count_buffers", "jvm_buffer_memory_used_bytes",
                "jvm_buffer_total_capacity_bytes")) {
            for (String id : List.of("direct", "mapped", "nativemem", "nativemem-mapped")) {
                assertTrue(scrape.contains("\n" + family + "{id=\"" + id + "\"} "), family + " " + id + " in\n" + scrape);
            }
            assertEquals(1, scrape.lines().filter(line -> line.startsWith("# HELP " + family + " ")).count(), family);
        }
        for (String sample : List.of("nativemem_memory_max_bytes ", "nativemem_memory_peak_bytes ",
                "nativemem_reservation_wait_seconds_count ", "nativemem_reservation_wait_seconds_sum ",
                "nativemem_reservation_failures_total ", "nativemem_gc_requests_total ",
                "nativemem_blocks_freed_total{cause=\"gc\"} ", "nativemem_blocks_freed_total{cause=\"explicit\"} ")) {
            assertTrue(scrape.contains("\n" + sample), sample + " in\n" + scrape);
        }
    }

    private static Set<String> describe(MeterRegistry registry) {
        return registry.getMeters().stream()
                .map(Meter::getId)
                .map(id -> id.getName() + id.getTags().stream().map(tag -> tag.getKey() + "=" + tag.getValue())
                        .collect(Collectors.joining(",", "{", "}")) + " " + id.getType() + " " + id.getBaseUnit())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> keys(List<Tag> tags) {
        return tags.stream().map(Tag::getKey).collect(Collectors.toSet());
    }
}
