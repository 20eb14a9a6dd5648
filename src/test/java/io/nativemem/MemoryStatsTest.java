package io.nativemem;

import io.nativemem.internal.Ledger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A snapshot as a person reads it: sizes and durations in units, exact bytes kept. */
class MemoryStatsTest {

    @Test
    void toStringGivesSizesAndDurationsInUnitsAndTheExactBytes() {
        MemoryStats stats = MemoryStats.of(new Ledger.Snapshot(3, 1_572_864, 1_572_864, 64L << 20, 3L << 30,
                12, 40, 2, 24_372_421_702L, 1, 7, 1, 8_389_608));
        assertEquals("MemoryStats[count=3 reserved=1.5 MiB (1572864 B) capacity=1.5 MiB (1572864 B)"
                + " max=64.0 MiB (67108864 B) peak=3.0 GiB (3221225472 B) freedByGc=12 freedExplicitly=40"
                + " waitedReservations=2 waited=24.37 s failedReservations=1 gcRequests=7 mappedCount=1"
                + " mappedMemory=8.0 MiB (8389608 B)]", stats.toString());
    }

    @Test
    void anEmptyLedgerReadsAsZeros() {
        MemoryStats stats = MemoryStats.of(new Ledger.Snapshot(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        assertEquals("MemoryStats[count=0 reserved=0 B capacity=0 B max=0 B peak=0 B freedByGc=0 freedExplicitly=0"
                + " waitedReservations=0 waited=0 s failedReservations=0 gcRequests=0 mappedCount=0 mappedMemory=0 B]",
                stats.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1|1 B", "1023|1023 B", "1024|1.0 KiB (1024 B)", "1536|1.5 KiB (1536 B)", "1048524|1023.9 KiB (1048524 B)", "1048575|1.0 MiB (1048575 B)", "1048576|1.0 MiB (1048576 B)",
        "1099511627776|1.0 TiB (1099511627776 B)", "1125899906842624|1.0 PiB (1125899906842624 B)",
        "9223372036854775807|8.0 EiB (9223372036854775807 B)",
    })
    void sizes(long bytes, String text) {
        assertEquals(text, MemoryStats.bytes(bytes));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|0 s", "850|850 ns", "1500|1.50 µs", "12000000|12.00 ms", "999994|999.99 µs", "999995|1.00 ms", "999999999|1.00 s", "1000000000|1.00 s",
        "24372421702|24.37 s",
    })
    void durations(long nanos, String text) {
        assertEquals(text, MemoryStats.duration(nanos));
    }
}
