package io.nativemem.testing;

import io.nativemem.forked.ForkedJvmProbe;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forking helper: its timeout fires even while the child holds its stdout open. */
class ForkedJvmTest {

    @Test
    void aChildThatHangsWithItsOutputOpenIsKilledAndTheTestFailsWithWhatItPrinted() {
        // Bounded from outside too: a helper that waits for end of output before its timeout blocks here.
        AssertionError e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(AssertionError.class,
                () -> ForkedJvm.run(Duration.ofSeconds(3), List.of(), ForkedJvmProbe.class, "hang")));
        String message = e.getMessage();
        assertTrue(message.startsWith("Killed after 3 s"), message);
        assertTrue(message.contains(ForkedJvmProbe.class.getName()), "names the command: " + message);
        String pid = message.replaceAll("(?s).*\noutput so far:\nhanging pid=(\\d+).*", "$1");
        assertTrue(pid.matches("\\d+"), "carries the output so far: " + message);
        Optional<ProcessHandle> child = ProcessHandle.of(Long.parseLong(pid));
        assertFalse(child.isPresent() && child.get().isAlive(), "the child was killed: " + message);
    }

    @Test
    void aChildThatPrintsMoreThanAPipeHoldsIsReadWhileItRuns() {
        // 2 MB, far past the 64 KiB a pipe buffers: reading only after waitFor would deadlock.
        ForkedJvm.Result result = ForkedJvm.run(Duration.ofSeconds(60), List.of(), ForkedJvmProbe.class, "chatter", "20000");
        assertEquals(3, result.exitCode());
        assertEquals(20_001, result.output().lines().count());
        assertTrue(result.output().endsWith("end of chatter\n"), result.output().substring(result.output().length() - 200));
    }

    @Test
    void anyCommandRunsUnderTheSameTimeout() {
        AssertionError e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(AssertionError.class,
                () -> ForkedJvm.runCommand(Duration.ofSeconds(1), List.of("sh", "-c", "echo before; exec sleep 600"))));
        assertTrue(e.getMessage().contains("output so far:\nbefore"), e.getMessage());
        assertEquals(0, ForkedJvm.runCommand(Duration.ofSeconds(10), List.of("true")).exitCode());
    }
}
