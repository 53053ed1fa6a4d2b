package dev.jnn.data.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Character vocabulary: code points, sorted ids, round trips, unknown policy, serialization, errors. */
class CharVocabularyTest {
  static final String EMOJI = "\uD83D\uDE00";  // U+1F600, outside the BMP: two chars, one code point

  @Test
  void sortedCodePointsAndRoundTripWithNonBmp() {
    String text = "ba" + EMOJI + "a\u00e9\n";
    CharVocabulary v = CharVocabulary.of(text);
    assertEquals(5, v.size());  // \n a b é 😀
    assertEquals('\n', v.codePoint(0));
    assertEquals('a', v.codePoint(1));
    assertEquals('b', v.codePoint(2));
    assertEquals(0xe9, v.codePoint(3));
    assertEquals(0x1F600, v.codePoint(4));
    int[] ids = v.encode(text);
    assertEquals(6, ids.length);  // code points, not chars
    assertArrayEquals(new int[] {2, 1, 4, 1, 3, 0}, ids);
    assertEquals(text, v.decode(ids));
    float[] f = new float[ids.length];
    for (int i = 0; i < f.length; i++) f[i] = ids[i];
    assertEquals(text, v.decode(f));
    assertEquals(v, CharVocabulary.of(new StringBuilder(text).reverse().toString()));  // order-independent (reverse keeps surrogate pairs)
  }

  @Test
  void unknownCharacterIsAnErrorNamingCharacterAndPosition() {
    CharVocabulary v = CharVocabulary.of("abc" + EMOJI);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.encode("ab" + EMOJI + "z"));
    assertTrue(e.getMessage().contains("'z'"), e.getMessage());
    assertTrue(e.getMessage().contains("U+007A"), e.getMessage());
    assertTrue(e.getMessage().contains("position 3"), e.getMessage());  // code point position, after the emoji
    assertTrue(e.getMessage().contains("<unk>"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> v.id('q'));
  }

  @Test
  void unknownIdPolicy() {
    CharVocabulary v = CharVocabulary.of("abc", true);
    assertTrue(v.hasUnknown());
    assertEquals(0, v.unknownId());
    assertEquals(4, v.size());
    assertArrayEquals(new int[] {1, 0, 3, 0}, v.encode("a" + EMOJI + "cz"));
    assertEquals("a\uFFFDc", v.decode(new int[] {1, 0, 3}));
    assertEquals(-1, CharVocabulary.of("abc").unknownId());
  }

  @Test
  void serializeRoundTrip() {
    for (boolean unk : new boolean[] {false, true}) {
      CharVocabulary v = CharVocabulary.of("Hello, " + EMOJI + " w\u00f6rld\n\t", unk);
      String s = v.serialize();
      assertFalse(s.contains("\n"));
      CharVocabulary w = CharVocabulary.parse(s);
      assertEquals(v, w);
      w.requireSame(v, "the checkpoint's vocabulary");
      assertEquals(v.decode(v.encode("Hello")), w.decode(w.encode("Hello")));
    }
  }

  @Test
  void parseErrors() {
    assertThrows(IllegalArgumentException.class, () -> CharVocabulary.parse(null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CharVocabulary.parse("hello"));
    assertTrue(e.getMessage().contains("not a serialized character vocabulary"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CharVocabulary.parse(CharVocabulary.FORMAT + " unk=0 61,zz"));
    assertThrows(IllegalArgumentException.class, () -> CharVocabulary.parse(CharVocabulary.FORMAT + " unk=0 62,61"));
    assertThrows(IllegalArgumentException.class, () -> CharVocabulary.parse(CharVocabulary.FORMAT + " unk=0 "));
  }

  @Test
  void mismatchIsAClearError() {
    CharVocabulary a = CharVocabulary.of("abcd"), b = CharVocabulary.of("abxd");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.requireSame(b, "the checkpoint's vocabulary"));
    assertTrue(e.getMessage().contains("vocabulary mismatch"), e.getMessage());
    assertTrue(e.getMessage().contains("the checkpoint's vocabulary"), e.getMessage());
    assertTrue(e.getMessage().contains("id 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> a.requireSame(CharVocabulary.of("abcd", true), "model"));
    assertTrue(e.getMessage().contains("<unk>"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> a.requireSame(CharVocabulary.of("abcde"), "model"));
    assertTrue(e.getMessage().contains("5 ids"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> a.requireSame(null, "model"));
  }

  @Test
  void idsOutOfRange() {
    CharVocabulary v = CharVocabulary.of("abc");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.decode(new int[] {0, 3}));
    assertTrue(e.getMessage().contains("id 3 at position 1"), e.getMessage());
    assertTrue(e.getMessage().contains("[0, 3)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> v.decode(new int[] {-1}));
    assertThrows(IllegalArgumentException.class, () -> v.decode(new float[] {0.5f}));
    assertThrows(IllegalArgumentException.class, () -> v.codePoint(7));
  }

  @Test
  void emptyTextAndFileErrors(@TempDir Path dir) throws IOException {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CharVocabulary.of(""));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CharVocabulary.of(null));
    Path empty = Files.createFile(dir.resolve("empty.txt"));
    IOException io = assertThrows(IOException.class, () -> CharVocabulary.fromFile(empty));
    assertTrue(io.getMessage().contains("empty.txt") && io.getMessage().contains("empty"), io.getMessage());
    Path missing = dir.resolve("nope.txt");
    io = assertThrows(FileNotFoundException.class, () -> CharVocabulary.fromFile(missing));
    assertTrue(io.getMessage().contains("nope.txt") && io.getMessage().contains("pass"), io.getMessage());
    Path bad = Files.write(dir.resolve("bad.txt"), new byte[] {'a', (byte) 0xff, 'b'});
    io = assertThrows(IOException.class, () -> CharVocabulary.fromFile(bad));
    assertTrue(io.getMessage().contains("UTF-8"), io.getMessage());
    Path ok = Files.write(dir.resolve("ok.txt"), ("x" + EMOJI).getBytes(StandardCharsets.UTF_8));
    assertEquals(2, CharVocabulary.fromFile(ok).size());
  }
}
