/**
 * A Micrometer {@code MeterBinder} for nativemem: {@link io.nativemem.micrometer.NativeMemoryMetrics}.
 *
 * <p>Micrometer's types appear in the binder's signatures, so a module that reads this one reads
 * {@code micrometer.core} too.
 */
module io.nativemem.micrometer {
    requires io.nativemem;
    requires transitive micrometer.core;

    exports io.nativemem.micrometer;
}
