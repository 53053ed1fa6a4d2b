package dev.jnn.data.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Word tokenizer: splitting, deterministic vocabulary, limit, OOV and padding ids, truncation, errors. */
class TokenizerTest {
  static final List<String> TEXTS = List.of("The cat sat on the mat.", "The dog ate the cat's food!", "A dog, a cat; 2 birds.");

  @Test
  void wordsAreLowerCasedAndSplitOnNonLettersDigits() {
    assertEquals(List.of("the", "cat", "s", "food", "2", "birds", "café", "x1"), Tokenizer.words("The cat's FOOD--2 birds...Café x1"));
    assertEquals(List.of(), Tokenizer.words(" ,.;! "));
  }

  @Test
  void vocabularyByFrequencyTiesAlphabetical() {
    Tokenizer t = Tokenizer.fit(TEXTS, 100);
    // the: 4, cat: 3, a: 2, dog: 2, then count 1 alphabetical: 2, ate, birds, food, mat, on, s, sat
    assertEquals(List.of("the", "cat", "a", "dog", "2", "ate", "birds", "food", "mat", "on", "s", "sat"), t.vocabulary());
    assertEquals(14, t.size());
    assertEquals(2, t.id("the"));
    assertEquals(2, t.id("THE"));
    assertEquals("<pad>", t.word(Tokenizer.PAD));
    assertEquals("<oov>", t.word(Tokenizer.OOV));
  }

  @Test
  void deterministicWhateverTheOrderOfTexts() {
    List<String> shuffled = new ArrayList<>(TEXTS);
    Collections.reverse(shuffled);
    assertEquals(Tokenizer.fit(TEXTS, 5), Tokenizer.fit(shuffled, 5));
    assertEquals(Tokenizer.fit(TEXTS, 100).serialize(), Tokenizer.fit(shuffled, 100).serialize());
  }

  @Test
  void limitKeepsTheMostFrequentAndOthersAreOov() {
    Tokenizer t = Tokenizer.fit(TEXTS, 3);
    assertEquals(List.of("the", "cat", "a"), t.vocabulary());
    assertEquals(5, t.size());
    assertArrayEquals(new int[] {2, 3, 1, 1, 2, 1}, t.encode("The cat sat on the mat"));
    assertEquals(Tokenizer.OOV, t.id("zebra"));
  }

  @Test
  void paddingAndTruncationArePost() {
    Tokenizer t = Tokenizer.fit(TEXTS, 100);
    assertArrayEquals(new int[] {2, 3, 13, 0, 0, 0}, t.encode("The cat sat", 6));
    assertArrayEquals(new int[] {2, 3}, t.encode("The cat sat", 2));  // the first words are kept
    assertArrayEquals(new int[] {1, 3, 0}, t.encode("zebra cat", 3));
    assertArrayEquals(new int[] {0, 0, 0}, t.encode("...", 3));
    assertEquals("the cat <oov>", t.decode(new int[] {2, 3, 1, 0, 0}));
  }

  @Test
  void serializeRoundTripAndMismatch() {
    Tokenizer t = Tokenizer.fit(TEXTS, 100);
    Tokenizer u = Tokenizer.parse(t.serialize());
    assertEquals(t, u);
    u.requireSame(t, "checkpoint");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.requireSame(Tokenizer.fit(TEXTS, 3), "the checkpoint's tokenizer"));
    assertTrue(e.getMessage().contains("vocabulary mismatch") && e.getMessage().contains("the checkpoint's tokenizer"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> t.requireSame(Tokenizer.fit(List.of("dog dog the"), 100), "other"));
    assertTrue(e.getMessage().contains("first difference at id 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Tokenizer.parse("nonsense"));
    assertThrows(IllegalArgumentException.class, () -> Tokenizer.parse(Tokenizer.FORMAT + "\nthe\nthe"));
    assertThrows(IllegalArgumentException.class, () -> Tokenizer.parse(Tokenizer.FORMAT + "\nTwo words"));
  }

  @Test
  void errors() {
    assertThrows(IllegalArgumentException.class, () -> Tokenizer.fit(List.of(), 10));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fit(List.of("...", "!"), 10));
    assertTrue(e.getMessage().contains("no words"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Tokenizer.fit(TEXTS, 0));
    Tokenizer t = Tokenizer.fit(TEXTS, 3);
    e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {2, 5}));
    assertTrue(e.getMessage().contains("id 5 at position 1") && e.getMessage().contains("[0, 5)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> t.word(-1));
    assertThrows(IllegalArgumentException.class, () -> t.encode("a", 0));
  }
}
