package io.nativemem.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.nativemem.MemoryStats;
import io.nativemem.NativeMemory;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Publishes nativemem's ledger ({@link NativeMemory#stats()}) to a Micrometer registry.
 *
 * <p>With Spring Boot, declare it as a bean and the registry binds it:
 * {@code @Bean MeterBinder nativeMemoryMetrics() { return new NativeMemoryMetrics(); }}.
 * Elsewhere: {@code new NativeMemoryMetrics().bindTo(registry)}.
 *
 * <p>Meters, each read from a fresh {@link NativeMemory#stats()} when the registry asks:
 * <table>
 *   <caption>Meters registered by {@link #bindTo(MeterRegistry)}</caption>
 *   <tr><th>name</th><th>tags</th><th>type</th><th>value</th></tr>
 *   <tr><td>{@code jvm.buffer.count}</td><td>{@code id=nativemem}</td><td>gauge, buffers</td>
 *       <td>{@link MemoryStats#count()}</td></tr>
 *   <tr><td>{@code jvm.buffer.memory.used}</td><td>{@code id=nativemem}</td><td>gauge, bytes</td>
 *       <td>{@link MemoryStats#reservedMemory()}</td></tr>
 *   <tr><td>{@code jvm.buffer.total.capacity}</td><td>{@code id=nativemem}</td><td>gauge, bytes</td>
 *       <td>{@link MemoryStats#totalCapacity()}</td></tr>
 *   <tr><td>{@code jvm.buffer.count}</td><td>{@code id=nativemem-mapped}</td><td>gauge, buffers</td>
 *       <td>{@link MemoryStats#mappedCount()}</td></tr>
 *   <tr><td>{@code jvm.buffer.memory.used}</td><td>{@code id=nativemem-mapped}</td>
 *       <td>gauge, bytes</td><td>{@link MemoryStats#mappedMemory()}</td></tr>
 *   <tr><td>{@code jvm.buffer.total.capacity}</td><td>{@code id=nativemem-mapped}</td>
 *       <td>gauge, bytes</td><td>{@link MemoryStats#mappedMemory()}</td></tr>
 *   <tr><td>{@code nativemem.memory.max}</td><td></td><td>gauge, bytes</td>
 *       <td>{@link MemoryStats#maxMemory()}, the limit</td></tr>
 *   <tr><td>{@code nativemem.memory.peak}</td><td></td><td>gauge, bytes</td>
 *       <td>{@link MemoryStats#peakReservedMemory()}</td></tr>
 *   <tr><td>{@code nativemem.reservation.wait}</td><td></td><td>function timer</td>
 *       <td>count {@link MemoryStats#waitedReservations()}, total time
 *       {@link MemoryStats#waitedNanos()}</td></tr>
 *   <tr><td>{@code nativemem.reservation.failures}</td><td></td><td>function counter</td>
 *       <td>{@link MemoryStats#failedReservations()}</td></tr>
 *   <tr><td>{@code nativemem.gc.requests}</td><td></td><td>function counter</td>
 *       <td>{@link MemoryStats#gcRequests()}</td></tr>
 *   <tr><td>{@code nativemem.blocks.freed}</td><td>{@code cause=gc}</td><td>function counter</td>
 *       <td>{@link MemoryStats#freedByGc()}</td></tr>
 *   <tr><td>{@code nativemem.blocks.freed}</td><td>{@code cause=explicit}</td>
 *       <td>function counter</td><td>{@link MemoryStats#freedExplicitly()}</td></tr>
 * </table>
 *
 * <p>The three {@code jvm.buffer.*} names, base units and descriptions are those under which
 * Micrometer's {@code JvmMemoryMetrics} publishes the JDK's buffer pools ({@code id=direct},
 * {@code id=mapped}), so a dashboard built on them shows nativemem as two more pools. As with the
 * JDK's direct pool, "memory used" counts what was reserved (capacity plus any alignment overhead)
 * and "total capacity" what was asked for.
 *
 * @apiNote Time spent waiting for room is a {@link FunctionTimer}, not a counter of seconds: that
 *     is how Micrometer's own binders publish a count and a total time that another component
 *     keeps (Tomcat's {@code tomcat.global.request}, Hazelcast's {@code cache.gets.latency}). One
 *     meter carries both the number of allocations that waited and their total time, in the
 *     registry's base time unit, so a backend shows the mean wait as well as each of the two (in
 *     Prometheus: {@code nativemem_reservation_wait_seconds_sum} divided by
 *     {@code nativemem_reservation_wait_seconds_count}).
 *     <p>Some registries, Prometheus's among them, want every meter of one name to carry the same
 *     tag keys: give this binder the same extra tags as {@code JvmMemoryMetrics}, or none to both
 *     (common tags set on the registry apply to both anyway).
 */
public final class NativeMemoryMetrics implements MeterBinder {

    // The descriptions of Micrometer's JvmMemoryMetrics, word for word: registries that keep one
    // description per name (Prometheus's HELP line) would otherwise see two meters disagree.
    private static final String COUNT_DESCRIPTION = "An estimate of the number of buffers in the pool";
    private static final String USED_DESCRIPTION =
            "An estimate of the memory that the Java virtual machine is using for this buffer pool";
    private static final String CAPACITY_DESCRIPTION = "An estimate of the total capacity of the buffers in this pool";

    /**
     * What every meter reads. Micrometer holds the state object of a function meter weakly (and
     * then reports its last value forever), so it is a constant here, reachable as long as this
     * class is loaded, rather than the binder, which callers often drop once bound.
     */
    private static final Supplier<MemoryStats> STATS = NativeMemory::stats;

    private final Tags tags;

    /** A binder whose meters carry only the tags listed in the class description. */
    public NativeMemoryMetrics() {
        this(Tags.empty());
    }

    /**
     * A binder that adds {@code tags} to every meter it registers.
     *
     * @param tags the tags to add, such as an application name
     * @throws NullPointerException if {@code tags} is {@code null}
     */
    public NativeMemoryMetrics(Iterable<Tag> tags) {
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
    }

    /**
     * Registers the meters listed in the class description; binding twice to one registry
     * registers nothing new. Reads the limit first, so that a malformed {@code nativemem.maxMemory}
     * fails here rather than in every scrape.
     *
     * @param registry the registry to add the meters to
     * @throws NullPointerException if {@code registry} is {@code null}
     * @throws IllegalArgumentException naming the property and its value, if
     *     {@code nativemem.maxMemory} is malformed
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        NativeMemory.maxMemory();

        bindPool(registry, "nativemem", MemoryStats::count, MemoryStats::reservedMemory, MemoryStats::totalCapacity);
        bindPool(registry, "nativemem-mapped", MemoryStats::mappedCount, MemoryStats::mappedMemory,
                MemoryStats::mappedMemory);

        Gauge.builder("nativemem.memory.max", STATS, read(MemoryStats::maxMemory))
                .tags(tags)
                .description("The limit on the total capacity of nativemem's live blocks (nativemem.maxMemory)")
                .baseUnit(BaseUnits.BYTES)
                .register(registry);
        Gauge.builder("nativemem.memory.peak", STATS, read(MemoryStats::peakReservedMemory))
                .tags(tags)
                .description("The most memory nativemem's live blocks have held at once since the process started")
                .baseUnit(BaseUnits.BYTES)
                .register(registry);

        FunctionTimer.builder("nativemem.reservation.wait", STATS,
                        stats -> stats.get().waitedReservations(),
                        stats -> stats.get().waitedNanos(),
                        TimeUnit.NANOSECONDS)
                .tags(tags)
                .description("Allocations that did not fit under the limit at once, and the time they spent"
                        + " waiting for the GC to free room")
                .register(registry);
        FunctionCounter.builder("nativemem.reservation.failures", STATS, read(MemoryStats::failedReservations))
                .tags(tags)
                .description("Allocations that failed with OutOfMemoryError after waiting for room")
                .register(registry);
        FunctionCounter.builder("nativemem.gc.requests", STATS, read(MemoryStats::gcRequests))
                .tags(tags)
                .description("GCs that nativemem requested to free room for waiting allocations")
                .register(registry);
        FunctionCounter.builder("nativemem.blocks.freed", STATS, read(MemoryStats::freedByGc))
                .tags(tags.and("cause", "gc"))
                .description("Blocks freed: by the cleaner once the GC found them unreachable (cause=gc),"
                        + " or by closing an arena or a buffer (cause=explicit)")
                .register(registry);
        FunctionCounter.builder("nativemem.blocks.freed", STATS, read(MemoryStats::freedExplicitly))
                .tags(tags.and("cause", "explicit"))
                .description("Blocks freed: by the cleaner once the GC found them unreachable (cause=gc),"
                        + " or by closing an arena or a buffer (cause=explicit)")
                .register(registry);
    }

    private void bindPool(MeterRegistry registry, String id, ToDoubleFunction<MemoryStats> count,
                          ToDoubleFunction<MemoryStats> used, ToDoubleFunction<MemoryStats> capacity) {
        Tags poolTags = tags.and("id", id);
        Gauge.builder("jvm.buffer.count", STATS, read(count))
                .tags(poolTags)
                .description(COUNT_DESCRIPTION)
                .baseUnit(BaseUnits.BUFFERS)
                .register(registry);
        Gauge.builder("jvm.buffer.memory.used", STATS, read(used))
                .tags(poolTags)
                .description(USED_DESCRIPTION)
                .baseUnit(BaseUnits.BYTES)
                .register(registry);
        Gauge.builder("jvm.buffer.total.capacity", STATS, read(capacity))
                .tags(poolTags)
                .description(CAPACITY_DESCRIPTION)
                .baseUnit(BaseUnits.BYTES)
                .register(registry);
    }

    private static ToDoubleFunction<Supplier<MemoryStats>> read(ToDoubleFunction<MemoryStats> value) {
        return stats -> value.applyAsDouble(stats.get());
    }
}
