package io.nativemem;

import io.nativemem.forked.LimitProbe;
import io.nativemem.forked.ModuleProbe;
import io.nativemem.testing.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The limit is read once per process, so every case here runs in a JVM of its own. */
class ForkedLimitTest {

    private static ForkedJvm.Result probe(String limit, String scenario) {
        List<String> options = limit == null ? List.of() : List.of("-Dnativemem.maxMemory=" + limit);
        ForkedJvm.Result result = ForkedJvm.run(options, LimitProbe.class, scenario);
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }

    private static void assertLine(ForkedJvm.Result result, String line) {
        assertTrue(result.output().lines().anyMatch(line::equals), "expected line \"" + line + "\" in " + result);
    }

    @Test
    void unsetTheLimitIsTheHeapMaximumAsInTheJdk() {
        ForkedJvm.Result result = probe(null, "default");
        String line = result.output().lines().filter(l -> l.startsWith("limit: ")).findFirst().orElseThrow();
        String[] parts = line.substring("limit: ".length()).split(" runtime ");
        assertEquals(parts[1], parts[0], result.toString());
    }

    @ParameterizedTest
    @CsvSource({"2K, 2048", "3m, 3145728", "1G, 1073741824", "1t, 1099511627776", "4096, 4096"})
    void suffixesAreReadLikeMaxDirectMemorySize(String value, long bytes) {
        assertLine(probe(value, "limit"), "limit: " + bytes);
    }

    @Test
    void exactlyTheLimitFitsAndOneMoreByteFails() {
        ForkedJvm.Result result = probe("1m", "exact");
        assertLine(result, "filled: 1048576");
        assertLine(result, "one more byte: Cannot reserve 1 bytes of native memory (allocated: 1048576, limit: 1048576)");
        assertLine(result, "after: count=0 capacity=0 reserved=0");
    }

    @Test
    void aZeroLimitRejectsEveryNonEmptyAllocation() {
        ForkedJvm.Result result = probe("0", "zero");
        assertLine(result, "empty: 0");
        assertLine(result, "one byte: Cannot reserve 1 bytes of native memory (allocated: 0, limit: 0)");
        assertLine(result, "mapped: 4096");
        assertLine(result, "slow path: waited=0 gcRequests=0");
        assertLine(result, "after: count=0 capacity=0 reserved=0");
    }

    @Test
    void anAllocationLibcRefusesIsAFailedReservationAndNeverReachesThePeak() {
        ForkedJvm.Result result = probe("1048576t", "refused");
        assertEquals(3, result.output().lines()
                .filter("refused: calloc could not allocate 576460752303423488 bytes (alignment: 16)"::equals).count(),
                result.toString());
        assertLine(result, "stats: failed=3 peak=1048576 count=1 capacity=1048576");
        assertLine(result, "after: count=0 capacity=0 reserved=0");
    }

    @Test
    void aMalformedLimitFailsTheFirstAllocationNamingPropertyAndValue() {
        ForkedJvm.Result result = probe("12x", "malformed");
        String expected = "Malformed system property nativemem.maxMemory=\"12x\"";
        assertTrue(result.output().lines().anyMatch(l -> l.startsWith("allocate: " + expected)), result.toString());
        assertTrue(result.output().lines().anyMatch(l -> l.startsWith("maxMemory: " + expected)), result.toString());
    }

    @Test
    void anInterruptedAllocationGetsItsAnswerAndKeepsItsFlag() {
        ForkedJvm.Result result = probe("1m", "interrupt");
        assertLine(result, "no room: OutOfMemoryError, interrupted=true");
        assertLine(result, "room after gc: allocated 1048576, interrupted=true");
        assertLine(result, "after: count=0 capacity=0 reserved=0");
    }

    /**
     * Nothing to reclaim and nobody else allocating: the slow path asks for at most 2 GCs (Bits asks
     * for one) and gives up after its waits of about 0.5 s. The bound here is generous (the
     * machine may be loaded); what matters is that the waits are bounded, not how fast they are.
     */
    @Test
    void aReservationThatCannotSucceedAsksForAtMostTwoGcsAndGivesUpSoon() {
        ForkedJvm.Result result = probe("64m", "hopeless");
        assertLine(result, "hopeless: OutOfMemoryError");
        long gcs = Long.parseLong(value(result, "gc requests"));
        long millis = Long.parseLong(value(result, "gave up after ms"));
        assertTrue(gcs >= 1 && gcs <= 2, "GC requests: " + gcs + "\n" + result);
        assertTrue(millis < 2000, "gave up after " + millis + " ms\n" + result);
        assertLine(result, "after: count=0 capacity=0 reserved=0");
    }

    @Test
    void aReservationGetsTheRoomOfClosedBlocksAtOnceWithoutAGc() {
        ForkedJvm.Result result = probe("1m", "closed");
        assertLine(result, "whole limit after closes: 1048576 gcs=0");
        assertLine(result, "after: count=0 capacity=0 reserved=0");
    }

    /**
     * A buffer left open shares its cohort with the buffers allocated beside it: those closed are
     * freed when a reservation needs the room (the cohort is evicted, the open buffers move),
     * those dropped when the GC finds them, each on its own. 40 MiB of 4 KiB buffers through a
     * 1 MiB limit, one in 100 kept open (n = 10,240 allocations, 102 kept, sum of their numbers
     * 100 * (1 + ... + 102)).
     */
    @ParameterizedTest
    @CsvSource({"stragglers", "stragglers left to the GC"})
    void buffersLeftOpenDoNotHoldTheBlocksFreedBesideThem(String scenario) {
        ForkedJvm.Result result = probe("1m", scenario);
        assertLine(result, "reader: ok");
        assertLine(result, "kept: 102 sum=" + 100L * 102 * 103 / 2);
        assertLine(result, "after: count=0 capacity=0 reserved=0");
    }

    private static String value(ForkedJvm.Result result, String key) {
        return result.output().lines().filter(l -> l.startsWith(key + ": ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line \"" + key + "\" in " + result))
                .substring(key.length() + 2);
    }

    @Test
    void onTheModulePathOnlyTheApiPackageIsExported() {
        String mainClasses = System.getProperty("nativemem.main.classes", "target/classes");
        String testClasses = System.getProperty("nativemem.test.classes", "target/test-classes");
        ForkedJvm.Result result = ForkedJvm.runCommand(ForkedJvm.DEFAULT_TIMEOUT, List.of(ForkedJvm.java(),
                "--enable-native-access=io.nativemem", "-p", mainClasses, "--add-modules", "io.nativemem",
                "-cp", testClasses, ModuleProbe.class.getName()));
        String output = result.output();
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(output.contains("module: io.nativemem"), output);
        assertTrue(output.contains("exports io.nativemem: true"), output);
        assertTrue(output.contains("exports io.nativemem.internal: false"), output);
        assertTrue(output.contains("exports io.nativemem.internal.libc: false"), output);
        assertTrue(output.contains("buffer: 7"), output);
        assertTrue(output.contains("direct closed: true"), output);
        assertFalse(output.contains("restricted method"), "no native-access warning: " + output);
    }
}
