package io.nativemem;

import io.nativemem.forked.FaultInjectionProbe;
import io.nativemem.internal.Faults;
import io.nativemem.testing.ForkedJvm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every step of the pipeline made to fail in turn (in a JVM with fault injection on): nothing leaks, counters exact. */
class FaultInjectionTest {

    private static ForkedJvm.Result result;

    @BeforeAll
    static void runTheProbe() {
        result = ForkedJvm.run(List.of("-Dnativemem.faultInjection=true"), FaultInjectionProbe.class);
        assertEquals(0, result.exitCode(), result.toString());
    }

    private static String line(String step) {
        return result.output().lines().filter(l -> l.startsWith(step + " -> ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + step + " in " + result));
    }

    private static void assertClean(String line) {
        assertTrue(line.endsWith("| count=0 capacity=0 mapped=0"), line);
    }

    @Test
    void libcReturningNullUndoesTheReservation() {
        assertTrue(line("malloc NULL").contains("OutOfMemoryError: malloc could not allocate 10000 bytes (alignment: 8)"),
                line("malloc NULL"));
        assertTrue(line("slab malloc NULL").contains(
                "OutOfMemoryError: malloc could not allocate 112 bytes (a slab for a block of 100 bytes, alignment: 8)"),
                line("slab malloc NULL"));
        assertTrue(line("aligned slab malloc NULL").contains(
                "OutOfMemoryError: malloc could not allocate 4192 bytes (a slab for a block of 100 bytes, alignment: 4096)"),
                line("aligned slab malloc NULL"));
        assertTrue(line("posix_memalign NULL").contains("OutOfMemoryError: posix_memalign could not allocate 100 bytes (alignment: 8192)"),
                line("posix_memalign NULL"));
        assertTrue(line("calloc NULL").contains("OutOfMemoryError: calloc could not allocate 1048576 bytes (alignment: 16)"), line("calloc NULL"));
        assertClean(line("malloc NULL"));
        assertClean(line("slab malloc NULL"));
        assertClean(line("aligned slab malloc NULL"));
        assertClean(line("posix_memalign NULL"));
        assertClean(line("calloc NULL"));
    }

    @Test
    void anOutOfMemoryErrorWhileWrappingFreesTheBlock() {
        assertTrue(line("arena wrap OOM").contains("OutOfMemoryError: injected fault: WRAP"), line("arena wrap OOM"));
        assertTrue(line("direct wrap OOM").contains("OutOfMemoryError: injected fault: WRAP"), line("direct wrap OOM"));
        assertClean(line("arena wrap OOM"));
        assertClean(line("direct wrap OOM"));
    }

    @Test
    void aFailingMmapLeavesNothingMappedOrOpen() {
        assertTrue(line("mmap fails").contains("IOException: Cannot map ") && line("mmap fails").contains("errno 12"),
                line("mmap fails"));
        assertClean(line("mmap fails"));
    }

    @Test
    void aFailingMunmapStillFreesEverythingElseAndKillsTheArena() {
        assertTrue(line("munmap fails").contains("IllegalStateException: munmap(")
                && line("munmap fails").contains("Invalid argument (errno 22)"), line("munmap fails"));
        assertClean(line("munmap fails"));
        assertTrue(result.output().contains("munmap fails: arena alive after close=false"), result.toString());
    }

    @Test
    void failuresInsideCleanupsDoNotStopTheReclaimer() {
        assertClean(line("cleanup throws after free"));
        assertClean(line("leak listener throws"));
        assertTrue(line("leak listener throws").contains("later leaks reported=1"), line("leak listener throws"));
        assertTrue(result.output().contains("injected fault: AFTER_FREE"), "the failure is logged: " + result);
    }

    @Test
    void faultsCannotBeArmedInANormalJvm() {
        assertFalse(Faults.ENABLED);
        assertThrows(IllegalStateException.class, () -> Faults.arm(Faults.Point.ALLOCATE, 1));
    }
}
