package io.nativemem.cli;

import io.nativemem.testing.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nativemem command, end to end: a JVM per command started as {@code ./nativemem} starts it
 * ({@code java -jar} on the packaged jar), its output and its exit status.
 */
class CliTest {

    private static ForkedJvm.Result run(String... args) {
        return ForkedCommand.jar(List.of(), args);
    }

    private static void assertContains(ForkedJvm.Result result, String text) {
        assertTrue(result.output().contains(text), "expected \"" + text + "\" in " + result);
    }

    @Test
    void demoWalksThroughEveryStepAndEndsWithNothingLive() {
        ForkedJvm.Result result = run("demo");
        assertEquals(0, result.exitCode(), result.toString());
        // No --enable-native-access on the command line: the jar's manifest must enable it, or the
        // JVM warns about restricted methods (and a later JDK refuses them).
        assertFalse(result.output().contains("restricted method"), result.toString());
        for (String step : List.of("1. A confined arena", "2. A shared arena", "3. GC-managed buffers",
                "4. An exhausted limit", "5. A mapped file")) {
            assertContains(result, step);
        }
        assertContains(result, "wrote and read back 42 and 1048576");
        assertContains(result, "OutOfMemoryError: Cannot reserve 2097152 bytes of native memory (allocated: 66060288, limit: 67108864)");
        assertContains(result, "read back through FileChannel: the same 8 bytes");
        assertContains(result, "Done: every block freed exactly once (live blocks 0, capacity 0).");
        // every "after close()" row shows no live block
        assertTrue(result.output().lines().filter(l -> l.strip().startsWith("after close()"))
                .allMatch(l -> l.strip().split("\\s{2,}")[1].equals("0")), result.toString());
        assertFalse(result.output().contains("\033"), "no control characters when stdout is not a terminal");
    }

    @Test
    void aDemoThatEndsWithABlockStillLiveSaysSoAndFails() {
        ForkedJvm.Result result = ForkedCommand.testMain(List.of("-Dnativemem.maxMemory=64m"), DemoWithALiveBlock.class);
        assertEquals(1, result.exitCode(), result.toString());
        assertContains(result, "5. A mapped file");
        assertContains(result, "Not done: the ledger is not back to zero after the demo (live blocks 1, capacity 4.0 KiB,"
                + " reserved 4.0 KiB): a block was freed twice or never.");
        assertFalse(result.output().contains("every block freed exactly once"), result.toString());
    }

    @Test
    void churnBothPrintsBothRowsSideBySide() {
        ForkedJvm.Result result = churnUnder64m("both", "3");
        assertContains(result, "vs allocateDirect");
        assertContains(result, "1.0 MiB per buffer");
        String ours = result.output().lines().filter(l -> l.contains("nativemem NativeBuffer.allocateDirect"))
                .findFirst().orElseThrow();
        String[] cells = ours.strip().split("\\s{2,}");
        assertEquals("0", cells[3], "no OOM for nativemem: " + result);
        // 1 MiB buffers under 64 MiB: the limit is reached many times, so GCs ran and took time.
        assertTrue(Long.parseLong(cells[4]) > 0, "GCs: " + result);
        assertTrue(Double.parseDouble(cells[5]) > 0, "allocations per GC: " + result);
        assertTrue(Double.parseDouble(cells[6]) > 0, "ms per GC: " + result);
        assertFalse(result.output().contains("\r"), "no carriage returns in a pipe");
    }

    @Test
    void churnAllAddsTheJdkInAJvmThatUsesTheFfmApi() {
        ForkedJvm.Result result = churnUnder64m("all", "1");
        String control = result.output().lines().filter(l -> l.contains("JDK allocateDirect, FFM in use"))
                .findFirst().orElseThrow(() -> new AssertionError("no row for the control: " + result));
        String[] cells = control.strip().split("\\s{2,}");
        assertTrue(Long.parseLong(cells[1]) > 0, "the control allocated: " + result);
        assertTrue(result.output().matches("(?s).*nativemem against allocateDirect in a JVM that uses the FFM API too: "
                + "\\d+\\.\\d\\dx.*"), result.toString());
    }

    /** Runs {@code churn --impl IMPL} for SECONDS each under 64 MiB: it must end well, with the nativemem and the JDK rows. */
    private static ForkedJvm.Result churnUnder64m(String impl, String seconds) {
        ForkedJvm.Result result = run("churn", "--impl", impl, "--seconds", seconds, "--limit", "64m");
        assertEquals(0, result.exitCode(), result.toString());
        assertContains(result, "nativemem NativeBuffer.allocateDirect");
        assertContains(result, "JDK ByteBuffer.allocateDirect");
        return result;
    }

    @Test
    void statsSaysWhereTheLimitCameFrom() {
        ForkedJvm.Result unset = run("stats");
        assertEquals(0, unset.exitCode(), unset.toString());
        assertContains(unset, "Runtime.getRuntime().maxMemory(): nativemem.maxMemory is not set");
        assertTrue(unset.output().matches("(?s).*\\blibc\\s+glibc 2\\.\\d+.*"), "glibc's version: " + unset);
        assertTrue(unset.output().matches("(?s).*\\bpage size\\s+(4096|16384|65536) bytes.*"), "the page size: " + unset);
        ForkedJvm.Result set = ForkedCommand.jar(List.of("-Dnativemem.maxMemory=3m"), "stats");
        assertContains(set, "3145728 bytes (3.0 MiB)");
        assertContains(set, "-Dnativemem.maxMemory=3m");
        ForkedJvm.Result malformed = ForkedCommand.jar(List.of("-Dnativemem.maxMemory=12x"), "stats");
        assertEquals(0, malformed.exitCode(), malformed.toString());
        assertContains(malformed, "none: Malformed system property nativemem.maxMemory=\"12x\"");
    }

    @Test
    void runsOnTheModulePathToo() {
        ForkedJvm.Result stats = ForkedCommand.modulePath("stats");
        assertEquals(0, stats.exitCode(), stats.toString());
        assertContains(stats, "glibc 2.");
        assertFalse(stats.output().contains("WARNING"), stats.toString());
        // The churn starts a worker JVM the way it was started itself: on the module path here.
        // The FFM control calls a restricted method of its own: the command's module has native access too.
        ForkedJvm.Result churn = ForkedCommand.modulePath("churn", "--impl", "all", "--seconds", "1",
                "--limit", "64m");
        assertEquals(0, churn.exitCode(), churn.toString());
        assertContains(churn, "nativemem NativeBuffer.allocateDirect");
        assertContains(churn, "JDK allocateDirect, FFM in use");
        assertFalse(churn.output().contains("WARNING"), churn.toString());
    }

    @Test
    void helpListsTheCommands() {
        ForkedJvm.Result result = run("--help");
        assertEquals(0, result.exitCode(), result.toString());
        assertContains(result, "usage: nativemem [command] [options]");
        assertContains(result, "churn");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "frobnicate|unknown command 'frobnicate'",
        "churn --impl rust|--impl rust: expected nativemem, jdk, jdk-ffm, both or all",
        "churn --threads 0|--threads 0: expected a whole number above 0",
        "churn --seconds -1|--seconds -1: expected seconds",
        "churn --size 12x|--size 12x: not a size",
        "churn --limit|option --limit needs a value",
        "churn --colour red|unknown option --colour for churn",
        "demo --limit 1m|--limit 1m: the demo takes 16m to 1g",
        "demo --limit 1t|--limit 1t: the demo takes 16m to 1g",
        "demo --limit 16m --limit 32m|option --limit given twice",
        "churn --threads 100000|--threads 100000: at most 1024",
        "stats --foo|stats takes no options",
        "stats extra|unexpected argument 'extra' for stats",
        "stats --foo bar|stats takes no options",
    })
    void badArgumentsGiveOneLineAndStatus2(String args, String message) {
        ForkedJvm.Result result = run(args.split(" "));
        assertEquals(2, result.exitCode(), result.toString());
        assertEquals(1, result.output().strip().lines().count(), "one line: " + result);
        assertContains(result, "nativemem: ");
        assertContains(result, message);
    }
}
