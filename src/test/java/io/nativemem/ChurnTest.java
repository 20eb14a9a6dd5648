package io.nativemem;

import io.nativemem.internal.cli.Main;
import io.nativemem.testing.ForkedJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GC-managed churn under a 128 MiB limit, max(4, 2 x cores) threads, 5 s, in forked JVMs: the
 * GC-assisted slow path must keep up without a single OutOfMemoryError.
 */
class ChurnTest {

    private static ForkedJvm.Result churn(List<String> extraOptions, String size, String seconds) {
        List<String> options = new ArrayList<>(List.of("-Dnativemem.maxMemory=128m", "-XX:+UseG1GC"));
        options.addAll(extraOptions);
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        ForkedJvm.Result result = ForkedJvm.run(options, Main.class, "churn-worker", "--impl", "nativemem",
                "--threads", Integer.toString(threads), "--seconds", seconds, "--size", size);
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }

    /** The worker's last line: done SECONDS ALLOCATIONS OOMS RESERVED GCS REQUESTED. */
    private static void assertNoOomAndEmptyAtTheEnd(ForkedJvm.Result result) {
        String[] done = result.output().lines().filter(l -> l.startsWith("done ")).findFirst()
                .orElseThrow(() -> new AssertionError("no done line: " + result)).split(" ");
        assertEquals("0", done[3], "OOMs: " + result);
        assertTrue(Long.parseLong(done[2]) > 1000, "allocations must be well past the limit's 128 buffers: " + result);
        assertTrue(result.output().contains("final MemoryStats[count=0 reserved=0 B capacity=0 B "), result.toString());
    }

    @ParameterizedTest(name = "size {0}")
    @CsvSource({"1m", "random"})
    void churnNeverRunsOutOfMemory(String size) {
        ForkedJvm.Result result = churn(List.of(), size, "5");
        assertNoOomAndEmptyAtTheEnd(result);
        // No thundering herd: several threads wait in the slow path at once, yet one GC is asked for
        // at a time, and each frees up to 128 blocks of 1 MiB (measured: about 110 per GC).
        String[] done = result.output().lines().filter(l -> l.startsWith("done ")).findFirst().orElseThrow().split(" ");
        long allocations = Long.parseLong(done[2]);
        long requested = Long.parseLong(done[6]);
        assertTrue(requested > 0 && requested <= allocations / 32,
                "GCs requested: " + requested + " for " + allocations + " allocations");
    }

    @Test
    void underDisableExplicitGcTheOptInStillObtainsAGc() {
        assertNoOomAndEmptyAtTheEnd(churn(
                List.of("-XX:+DisableExplicitGC", "-Dnativemem.gcWhenExplicitGcDisabled=true"), "1m", "5"));
    }

    @Test
    void underDisableExplicitGcTheDefaultHonoursTheFlagAndSaysSoOnce() {
        ForkedJvm.Result result = churn(List.of("-XX:+DisableExplicitGC"), "1m", "2");
        assertTrue(result.output().contains("-Dnativemem.gcWhenExplicitGcDisabled=true"), result.toString());
        assertEquals(1, result.output().split("gcWhenExplicitGcDisabled", -1).length - 1, "logged once: " + result);
    }
}
