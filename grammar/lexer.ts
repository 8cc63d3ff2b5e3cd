/**
 * Tokens of the `.lstm` language (chevrotain lexer). Part 1 of the tokens / parser / visitor split.
 *
 * Newlines are plain whitespace: every statement starts with a keyword or an identifier, so the
 * grammar needs no terminators. `LABEL`s are the human spellings used in error messages.
 */
import { createToken, Lexer, type TokenType } from './chevrotain.js';

export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

/**
 * `# ...` to the end of the line. Not seen by the parser: the lexer collects comments in
 * `groups.comments` (grammar/format.ts re-attaches them; everything else ignores them).
 */
export const Comment = createToken({
  name: 'Comment',
  pattern: /#[^\r\n]*/,
  group: 'comments',
});

/*
 * "Junk" categories: tokens that cannot start what a repetition expects in a `model { }` body or
 * in a `{ key: value }` block. The grammar consumes them explicitly (and the visitor reports each
 * run once) instead of relying on chevrotain's in-repetition recovery, which re-enters the
 * repetition recursively per error and can overflow the stack on long broken inputs. (Stray
 * tokens between models are removed by the front end before parsing.)
 */
export const StmtJunk = createToken({ name: 'StmtJunk', pattern: Lexer.NA, label: 'a token' });
export const EntryJunk = createToken({ name: 'EntryJunk', pattern: Lexer.NA, label: 'a token' });

export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  label: 'a name',
});

/** Category of every keyword, so block keys may be keywords (`data { input: "x.csv" }`). */
export const Keyword = createToken({ name: 'Keyword', pattern: Lexer.NA, label: 'a keyword' });

function keyword(word: string, categories: TokenType[] = []): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [Keyword, ...categories],
    label: `"${word}"`,
  });
}

export const Model = keyword('model');
export const Param = keyword('param');
export const Input = keyword('input');
export const Let = keyword('let');
export const Output = keyword('output');
export const Train = keyword('train');
export const Data = keyword('data');
export const True = keyword('true', [StmtJunk]);
export const False = keyword('false', [StmtJunk]);

export const DollarIdent = createToken({
  name: 'DollarIdent',
  pattern: /\$[A-Za-z_][A-Za-z0-9_]*/,
  categories: [StmtJunk, EntryJunk],
  label: 'a "$name"',
});

/** A number: an integer or a float (`1e-3`, `0.5`, `-1`). The visitor decides which. */
export const NumberLit = createToken({
  name: 'NumberLit',
  pattern: /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  start_chars_hint: ['-', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  categories: [StmtJunk, EntryJunk],
  label: 'a number',
});

/** Category shared by closed and unterminated strings, so the parser goes on after an unterminated one. */
export const StringLike = createToken({ name: 'StringLike', pattern: Lexer.NA, label: 'a string' });

export const StringLit = createToken({
  name: 'StringLit',
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  categories: [StringLike, StmtJunk, EntryJunk],
  label: 'a string',
});

/**
 * A string not closed before the end of its line; reported as LSTM1002 by the front end. It stops
 * before a closing bracket, so `data { text: "abc }` still closes its block.
 */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\r\n)\]}]|\\[^\r\n])*\\?/,
  categories: [StringLike, StmtJunk, EntryJunk],
  label: 'a string',
});

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, categories: [StmtJunk, EntryJunk], label: '"->"' });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, categories: [StmtJunk, EntryJunk], label: '"{"' });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: '"}"' });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, categories: [StmtJunk, EntryJunk], label: '"("' });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, categories: [StmtJunk, EntryJunk], label: '")"' });
export const LBracket = createToken({
  name: 'LBracket',
  pattern: /\[/,
  categories: [StmtJunk, EntryJunk],
  label: '"["',
});
export const RBracket = createToken({
  name: 'RBracket',
  pattern: /\]/,
  categories: [StmtJunk, EntryJunk],
  label: '"]"',
});
export const Comma = createToken({ name: 'Comma', pattern: /,/, categories: [StmtJunk], label: '","' });
export const Colon = createToken({ name: 'Colon', pattern: /:/, categories: [StmtJunk, EntryJunk], label: '":"' });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, label: '";"' });
export const Equals = createToken({ name: 'Equals', pattern: /=/, categories: [StmtJunk, EntryJunk], label: '"="' });
export const Question = createToken({
  name: 'Question',
  pattern: /\?/,
  categories: [StmtJunk, EntryJunk],
  label: '"?"',
});

/** Order matters: keywords before Identifier, StringLit before UnterminatedString, Arrow before NumberLit. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Model,
  Param,
  Input,
  Let,
  Output,
  Train,
  Data,
  True,
  False,
  Keyword,
  StmtJunk,
  EntryJunk,
  Identifier,
  DollarIdent,
  Arrow,
  NumberLit,
  StringLit,
  UnterminatedString,
  StringLike,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Semicolon,
  Equals,
  Question,
];

export const OPENERS: ReadonlySet<TokenType> = new Set([LBrace, LParen, LBracket]);
export const CLOSERS: ReadonlySet<TokenType> = new Set([RBrace, RParen, RBracket]);

/** Built once at module load. */
export const lstmLexer = new Lexer(allTokens, {
  positionTracking: 'onlyOffset',
  ensureOptimizations: true,
});
