package io.nativemem;

import io.nativemem.forked.ChurnProbe;
import io.nativemem.testing.ForkedJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GC-managed churn under a 128 MiB limit, max(4, 2 x cores) threads, 5 s, in forked JVMs: the
 * GC-assisted slow path must keep up without a single OutOfMemoryError.
 */
class ChurnTest {

    private static final Pattern DONE = Pattern.compile("^done allocations=(\\d+) ooms=(\\d+) gcRequests=(\\d+)$",
            Pattern.MULTILINE);

    /** What the probe's done line says. */
    private record Done(long allocations, long ooms, long gcRequests) {
    }

    private static ForkedJvm.Result churn(List<String> extraOptions, String size, String seconds) {
        List<String> options = new ArrayList<>(List.of("-Dnativemem.maxMemory=128m", "-XX:+UseG1GC"));
        options.addAll(extraOptions);
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        ForkedJvm.Result result = ForkedJvm.run(options, ChurnProbe.class, Integer.toString(threads), seconds, size);
        assertEquals(0, result.exitCode(), result.toString());
        return result;
    }

    private static Done done(ForkedJvm.Result result) {
        Matcher m = DONE.matcher(result.output());
        assertTrue(m.find(), "no done line: " + result);
        return new Done(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)));
    }

    private static void assertNoOomAndEmptyAtTheEnd(ForkedJvm.Result result) {
        Done done = done(result);
        assertEquals(0, done.ooms(), "OOMs: " + result);
        assertTrue(done.allocations() > 1000, "allocations must be well past the limit's 128 buffers: " + result);
        assertTrue(result.output().contains("final MemoryStats[count=0 reserved=0 B capacity=0 B "), result.toString());
    }

    @ParameterizedTest(name = "size {0}")
    @CsvSource({"1048576", "random"})
    void churnNeverRunsOutOfMemory(String size) {
        ForkedJvm.Result result = churn(List.of(), size, "5");
        assertNoOomAndEmptyAtTheEnd(result);
        // No thundering herd: several threads wait in the slow path at once, yet one GC is asked for
        // at a time, and each frees up to 128 blocks of 1 MiB (measured: about 110 per GC).
        Done done = done(result);
        assertTrue(done.gcRequests() > 0 && done.gcRequests() <= done.allocations() / 32,
                "GCs requested: " + done.gcRequests() + " for " + done.allocations() + " allocations");
    }

    @Test
    void underDisableExplicitGcTheOptInStillObtainsAGc() {
        assertNoOomAndEmptyAtTheEnd(churn(
                List.of("-XX:+DisableExplicitGC", "-Dnativemem.gcWhenExplicitGcDisabled=true"), "1048576", "5"));
    }

    @Test
    void underDisableExplicitGcTheDefaultHonoursTheFlagAndSaysSoOnce() {
        ForkedJvm.Result result = churn(List.of("-XX:+DisableExplicitGC"), "1048576", "2");
        assertTrue(result.output().contains("-Dnativemem.gcWhenExplicitGcDisabled=true"), result.toString());
        assertEquals(1, result.output().split("gcWhenExplicitGcDisabled", -1).length - 1, "logged once: " + result);
    }
}
