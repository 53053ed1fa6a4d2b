package dev.jnn.data.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.data.Dataset;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Language-model windows: shifted targets, counts, stride, dropped partial window, validation split. */
class CharLmDataTest {
  static int[] range(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) a[i] = i;
    return a;
  }

  @Test
  void targetsAreInputsShiftedByOne() {
    int[] ids = range(23);
    Dataset d = CharLmData.windows(ids, 5);
    assertArrayEquals(new int[] {4, 5}, d.features().shape());  // 23 ids: windows at 0, 5, 10, 15 (16..21 needs 21 < 23): (23-6)/5+1 = 4
    assertArrayEquals(new int[] {4, 5}, d.targets().shape());
    for (int k = 0; k < 4; k++)
      for (int t = 0; t < 5; t++) {
        assertEquals(k * 5 + t, d.features().get(k, t));
        assertEquals(k * 5 + t + 1, d.targets().get(k, t));
        if (t < 4) assertEquals(d.features().get(k, t + 1), d.targets().get(k, t));
      }
  }

  @Test
  void countStrideAndLastPartialWindowDropped() {
    assertEquals(4, CharLmData.count(21, 5, 5));  // exactly 4 * 5 + 1
    assertEquals(3, CharLmData.count(20, 5, 5));  // the 4th window lacks its last target: dropped
    assertEquals(0, CharLmData.count(5, 5, 5));
    assertEquals(1, CharLmData.count(6, 5, 5));
    Dataset d = CharLmData.windows(range(20), 5, 2);  // starts 0,2,...,14 (14+6=20)
    assertEquals(8, d.size());
    assertEquals(CharLmData.count(20, 5, 2), d.size());
    for (int k = 0; k < d.size(); k++) assertEquals(2 * k, d.features().get(k, 0));
    assertEquals(14 + 5, d.targets().get(7, 4));
  }

  @Test
  void validationSplitCutsTheText() {
    String text = "abcdefghij".repeat(20);  // 200 characters
    CharLmData.Corpus c = CharLmData.fromText(text, 10, 10, 0.25);
    assertEquals(10, c.vocabulary().size());
    assertEquals(CharLmData.count(150, 10, 10), c.train().size());
    assertEquals(CharLmData.count(50, 10, 10), c.validation().size());
    assertEquals(text.substring(150, 160), c.vocabulary().decode(c.validation().features().rows(0, 1).toArray()));
    assertEquals(text.substring(1, 11), c.vocabulary().decode(c.train().targets().rows(0, 1).toArray()));
    CharLmData.Corpus none = CharLmData.fromText(text, 10, 10, 0);
    assertEquals(0, none.validation().size());
    assertEquals(19, none.train().size());
  }

  @Test
  void errors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CharLmData.windows(range(5), 5));
    assertTrue(e.getMessage().contains("needs 6"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CharLmData.windows(range(50), 0));
    assertThrows(IllegalArgumentException.class, () -> CharLmData.windows(range(50), 5, 0));
    assertThrows(IllegalArgumentException.class, () -> CharLmData.fromText("", 5, 5, 0.1));
    assertThrows(IllegalArgumentException.class, () -> CharLmData.fromText("abcdefghijklmnop", 5, 5, 1.0));
    e = assertThrows(IllegalArgumentException.class, () -> CharLmData.fromText("abcdefghijklmnop", 5, 5, 0.1));  // 2 validation chars
    assertTrue(e.getMessage().contains("validation"), e.getMessage());
    CharVocabulary v = CharVocabulary.of("ab");
    e = assertThrows(IllegalArgumentException.class, () -> CharLmData.corpus(v, new int[] {0, 1, 2, 0, 1, 0, 1}, 2, 2, 0));
    assertTrue(e.getMessage().contains("id 2 at position 2"), e.getMessage());
    IOException io = assertThrows(FileNotFoundException.class, () -> CharLmData.load(Path.of("/nonexistent/book.txt"), 10, 10, 0.1));
    assertTrue(io.getMessage().contains("/nonexistent/book.txt") && io.getMessage().contains("licenseDefault"), io.getMessage());
  }

  @Test
  void licenseDefaultLoads() throws IOException {
    Assumptions.assumeTrue(LicenseTexts.available(), "no /usr/share/common-licenses");
    CharLmData.Corpus c = CharLmData.licenseDefault(100);
    assertTrue(c.train().size() > 250, c.train().toString());
    assertTrue(c.validation().size() > 25, c.validation().toString());
    assertArrayEquals(new int[] {c.train().size(), 100}, c.train().targets().shape());
    assertTrue(c.vocabulary().size() > 40 && c.vocabulary().size() < 120, c.vocabulary().toString());
    String first = c.vocabulary().decode(c.train().features().rows(0, 1).toArray());
    assertTrue(first.contains("GNU GENERAL PUBLIC LICENSE"), first);
  }
}
