package io.nativemem.cli;

import io.nativemem.testing.ForkedJvm;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the packaged command in a JVM of its own, as {@code ./nativemem} does: {@code java -jar}
 * on the jar that the package phase built, whose manifest names the library's jar in
 * {@code target/lib} and enables native access. The child runs through the library's
 * {@link ForkedJvm}: killed after {@link ForkedJvm#DEFAULT_TIMEOUT}, and the test then fails with
 * what it printed so far.
 */
final class ForkedCommand {

    /** The command's jar and the folder of the library's jar (set by failsafe, see cli/pom.xml). */
    static final Path JAR = Path.of(System.getProperty("nativemem.cli.jar", "target/nativemem-cli.jar"));
    static final Path LIB = Path.of(System.getProperty("nativemem.cli.lib", "target/lib"));
    static final Path TEST_CLASSES = Path.of(System.getProperty("nativemem.cli.testClasses", "target/test-classes"));

    private static final Duration TIMEOUT = ForkedJvm.DEFAULT_TIMEOUT;

    private ForkedCommand() {
    }

    /** {@code java -Xmx512m JVM_OPTIONS -jar JAR ARGS}: no native-access flag, the manifest gives it. */
    static ForkedJvm.Result jar(List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(List.of(ForkedJvm.java(), "-Xmx512m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", existing(JAR).toString()));
        command.addAll(List.of(args));
        return ForkedJvm.runCommand(TIMEOUT, command);
    }

    /** A main class of the tests, on a class path of the command's jar (which names the library's) and the tests. */
    static ForkedJvm.Result testMain(List<String> jvmOptions, Class<?> mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(ForkedJvm.java(), "-Xmx512m", "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", existing(JAR) + File.pathSeparator + TEST_CLASSES, mainClass.getName()));
        command.addAll(List.of(args));
        return ForkedJvm.runCommand(TIMEOUT, command);
    }

    /** The command on the module path, beside the library's module. */
    static ForkedJvm.Result modulePath(String... args) {
        List<String> command = new ArrayList<>(List.of(ForkedJvm.java(), "-Xmx512m",
                "--enable-native-access=io.nativemem,io.nativemem.cli",
                "-p", existing(JAR) + File.pathSeparator + existing(LIB),
                "-m", "io.nativemem.cli/" + Main.class.getName()));
        command.addAll(List.of(args));
        return ForkedJvm.runCommand(TIMEOUT, command);
    }

    private static Path existing(Path path) {
        if (!Files.exists(path)) {
            throw new AssertionError(path.toAbsolutePath() + " does not exist: these tests run after the package phase");
        }
        return path;
    }
}
