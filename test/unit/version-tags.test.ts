import { describe, expect, it } from 'vitest';
import { MAX_TAGS, nextTags, tagDelta } from '../../shared/domain/version-tags.js';
import { InvalidInputError } from '../../shared/errors.js';
import { listVersionsQuery, updateVersionBody } from '../../shared/http/schemas.js';

const many = (n: number, prefix = 't') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('nextTags', () => {
  it('replaces the tags, collapsing duplicates in the order given', () => {
    expect(nextTags(['old'], { tags: ['prod', 'baseline', 'prod'] })).toEqual(['prod', 'baseline']);
    expect(nextTags(['old'], { tags: [] })).toEqual([]);
  });

  it('adds and removes, keeping existing tags first', () => {
    expect(nextTags(['a', 'b'], { add: ['c', 'a'], remove: ['b'] })).toEqual(['a', 'c']);
  });

  it('is idempotent: adding a present tag or removing an absent one changes nothing', () => {
    expect(nextTags(['a'], { add: ['a'], remove: ['zzz'] })).toEqual(['a']);
    const once = nextTags([], { add: ['x'] });
    expect(nextTags(once, { add: ['x'] })).toEqual(once);
  });

  it('refuses malformed tags', () => {
    for (const bad of ['', 'has space', 'a#b', 'ü', 'x'.repeat(65), 'a/b']) {
      expect(() => nextTags([], { add: [bad] }), bad).toThrow(InvalidInputError);
    }
    expect(nextTags([], { add: ['v1.2_rc-3', 'x'.repeat(64)] })).toHaveLength(2);
  });

  it('refuses replacing and editing in one change, and a tag both added and removed', () => {
    expect(() => nextTags([], { tags: ['a'], add: ['b'] })).toThrow(/either tags/);
    expect(() => nextTags([], { tags: ['a'], remove: [] })).toThrow(/either tags/);
    expect(() => nextTags([], { add: ['a'], remove: ['a'] })).toThrow(/both added and removed/);
  });

  it(`refuses more than ${MAX_TAGS} tags on a version, counting the ones it keeps`, () => {
    expect(nextTags([], { tags: many(MAX_TAGS) })).toHaveLength(MAX_TAGS);
    expect(() => nextTags(many(MAX_TAGS), { add: ['one-more'] })).toThrow(/at most 20/);
    expect(nextTags(many(MAX_TAGS), { add: ['one-more'], remove: ['t0'] })).toHaveLength(MAX_TAGS);
  });
});

describe('tagDelta', () => {
  it('names what a tag index must add and remove', () => {
    expect(tagDelta(['a', 'b'], ['b', 'c'])).toEqual({ added: ['c'], removed: ['a'] });
    expect(tagDelta(['a'], ['a'])).toEqual({ added: [], removed: [] });
  });
});

describe('the version metadata request schemas', () => {
  it('turns the snake_case body into a tag change and a description', () => {
    expect(
      updateVersionBody.parse({ add_tags: ['prod'], remove_tags: ['staging'], description: 'the Q4 cut' }),
    ).toEqual({ add: ['prod'], remove: ['staging'], description: 'the Q4 cut' });
    expect(updateVersionBody.parse({ tags: [] })).toEqual({ tags: [] });
  });

  it('refuses an empty body, unknown fields, bad tags, too many tags and a long description', () => {
    expect(updateVersionBody.safeParse({}).success).toBe(false);
    expect(updateVersionBody.safeParse({ tag: 'prod' }).success).toBe(false);
    expect(updateVersionBody.safeParse({ tags: ['bad tag'] }).success).toBe(false);
    expect(updateVersionBody.safeParse({ tags: many(MAX_TAGS + 1) }).success).toBe(false);
    expect(updateVersionBody.safeParse({ description: 'x'.repeat(2001) }).success).toBe(false);
    expect(updateVersionBody.safeParse({ description: 'x'.repeat(2000) }).success).toBe(true);
  });

  it('accepts a tag filter on the version listing', () => {
    expect(listVersionsQuery.parse({ tag: 'baseline' })).toEqual({ tag: 'baseline', limit: 100 });
    expect(listVersionsQuery.safeParse({ tag: 'a b' }).success).toBe(false);
  });
});
