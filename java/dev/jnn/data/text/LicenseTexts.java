package dev.jnn.data.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Default text tasks from the license texts every Debian system ships in
 * {@code /usr/share/common-licenses} (package base-files), so examples and tests need no download.
 *
 * <ul>
 *   <li>Classification: sentences of the GPL-3 (class 0) versus sentences of the Apache-2.0
 *       license (class 1), split at '.', ';', ':' and blank lines, fragments under
 *       {@value #MIN_WORDS} words skipped.
 *   <li>Character language model: the text of the GPL-3.
 * </ul>
 *
 * <pre>{@code
 * LabelledText.Task t = LicenseTexts.task(7);                 // seed 7: 20% held out, 2000 words, length 40
 * CharLmData.Corpus c = CharLmData.licenseDefault(100);       // GPL-3 characters, windows of 100
 * }</pre>
 */
public final class LicenseTexts {
  private LicenseTexts() {}

  public static final Path DIR = Path.of("/usr/share/common-licenses");
  public static final Path GPL3 = DIR.resolve("GPL-3"), APACHE2 = DIR.resolve("Apache-2.0");
  /** Class 0 and class 1 texts of the classification task. */
  public static final Path CLASS0 = GPL3, CLASS1 = APACHE2;
  /** The text of {@link CharLmData#licenseDefault}. */
  public static final Path CHAR_LM_TEXT = GPL3;
  public static final int MIN_WORDS = 4;
  public static final double HELD_OUT = 0.2;
  public static final int MAX_WORDS = 2000, MAX_LEN = 40;
  public static final List<String> CLASS_NAMES = List.of("GPL-3", "Apache-2.0");

  /** Whether the license files are present. */
  public static boolean available() { return java.nio.file.Files.isRegularFile(GPL3) && java.nio.file.Files.isRegularFile(APACHE2); }

  /** A license text; a missing file names itself and says what to do. */
  public static String read(Path file) throws IOException {
    return TextFiles.read(file, "it is installed by Debian's base-files package in " + DIR
        + "; on other systems pass your own texts instead (LabelledText.fromTwoTexts / readTsv, CharLmData.load)");
  }

  /** The sentences of both licenses: class 0 GPL-3, class 1 Apache-2.0 (in file order). */
  public static List<LabelledText.Example> examples() throws IOException {
    return LabelledText.fromTwoTexts(read(CLASS0), read(CLASS1), MIN_WORDS);
  }

  /** The classification task with the defaults ({@value #HELD_OUT} held out, {@value #MAX_WORDS} words, length {@value #MAX_LEN}). */
  public static LabelledText.Task task(long seed) throws IOException { return task(seed, HELD_OUT, MAX_WORDS, MAX_LEN); }

  public static LabelledText.Task task(long seed, double heldOutFraction, int maxWords, int maxLen) throws IOException {
    return LabelledText.task(examples(), heldOutFraction, seed, maxWords, maxLen);
  }
}
