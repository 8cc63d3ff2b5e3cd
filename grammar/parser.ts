/**
 * The `.lstm` grammar as a chevrotain CstParser (part 2 of the tokens / parser / visitor split).
 *
 *   file        := modelDecl*          (stray tokens between models are removed before parsing)
 *   modelDecl   := "model" NAME "{" (modelEntry | ";" | junk)* "}"
 *   modelEntry  := paramDecl | inputDecl | letStmt | outputStmt | trainBlock | dataBlock | layerStmt
 *   paramDecl   := "param" NAME "=" value
 *   inputDecl   := "input" NAME ":" value ("batch" value)?     (`batch` is contextual: an identifier)
 *   letStmt     := "let" letTargets (":" value)? "=" nameOrList ("->" call)*
 *   letTargets  := NAME | "[" NAME ("," NAME)* ","? "]"
 *   nameOrList  := NAME | "[" NAME ("," NAME)* ","? "]"
 *   outputStmt  := "output" NAME ("," NAME)*
 *   trainBlock  := "train" block          dataBlock := "data" block
 *   layerStmt   := call
 *   block       := "{" (blockEntry | "," | ";" | junk)* "}"
 *   blockEntry  := (NAME | keyword) (":" value | block)
 *   call        := NAME ("(" args? ")")?
 *   args        := arg ("," arg)* ","?
 *   arg         := NAME ":" value | value
 *   value       := NUMBER | STRING | "true" | "false" | "$"NAME | "?" | list | call | block
 *   list        := "[" (value ("," value)* ","?)? "]"
 *
 * The parser instance is built once (self-analysis is expensive) and reused by resetting `input`.
 */
import { CstParser, EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from './chevrotain.js';
import * as T from './lexer.js';

/** What a rule is, for "expected ..." in messages. */
const RULE_DESCRIPTIONS: Record<string, string> = {
  file: '"model"',
  modelDecl: '"model"',
  modelEntry: 'a statement (param, input, let, output, train, data) or a layer',
  value: 'a value',
  list: 'a value or "]"',
  arg: 'an argument',
  args: 'an argument or ")"',
  call: 'a layer name',
  layerStmt: 'a layer',
  letTargets: 'a name or a list of names',
  nameOrList: 'a name or a list of names',
  block: 'an entry "key: value" or "}"',
  blockEntry: '":" or "{"',
};

function label(t: TokenType): string {
  return t.LABEL ?? t.name;
}

function joinOr(labels: string[]): string {
  const uniq = [...new Set(labels)];
  if (uniq.length === 0) return 'something else';
  if (uniq.length === 1) return uniq[0]!;
  if (uniq.length > 4) return 'something else';
  return `${uniq.slice(0, -1).join(', ')} or ${uniq[uniq.length - 1]}`;
}

/**
 * The message of a parser error is just the human "expected" phrase; the front end adds "found"
 * from the offending token and fills the LSTM1001 template.
 */
export const expectedMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, ruleName }) {
    if (expected === EOF) return '"model"';
    if (expected === T.RBrace && ruleName === 'modelDecl') return 'a statement or "}"';
    if (expected === T.RBrace && ruleName === 'block') return 'an entry "key: value" or "}"';
    if (expected === T.RParen && ruleName === 'call') return '"," or ")"';
    if (expected === T.RBracket && (ruleName === 'list' || ruleName === 'letTargets' || ruleName === 'nameOrList'))
      return '"," or "]"';
    if (expected === T.Identifier) {
      if (ruleName === 'modelDecl') return 'a model name';
      if (ruleName === 'call') return 'a layer name';
    }
    return label(expected);
  },
  buildNotAllInputParsedMessage() {
    return '"model"';
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, ruleName }) {
    const d = RULE_DESCRIPTIONS[ruleName];
    if (d !== undefined) return d;
    return joinOr(expectedPathsPerAlt.flatMap((alt) => alt.map((p) => (p[0] ? label(p[0]) : 'end of input'))));
  },
  buildEarlyExitMessage({ expectedIterationPaths, ruleName }) {
    const d = RULE_DESCRIPTIONS[ruleName];
    if (d !== undefined) return d;
    return joinOr(expectedIterationPaths.map((p) => (p[0] ? label(p[0]) : 'end of input')));
  },
};

/**
 * What may follow the contextual keyword `batch` in an input declaration: a number, `$param`, or a
 * param name not followed by `(` (that would be a layer line after a layer called `batch`).
 */
const BATCH_VALUE_STARTS: ReadonlySet<TokenType> = new Set([T.NumberLit, T.DollarIdent]);

/** After this many syntax errors the parser stops (the rest of the file is not parsed). */
export const MAX_PARSE_ERRORS = 500;
const MAX_LOOKAHEAD = 3;

/** Chevrotain internals used to stop early (stable across chevrotain 10-11). */
interface ParserInternals {
  SAVE_ERROR(err: unknown): unknown;
  _errors: unknown[];
  tokVector: IToken[];
  tokVectorLength: number;
  currIdx: number;
  flattenFollowSet(): TokenType[];
  buildFullFollowKeyStack(): unknown[];
  getFollowSetFromFollowKey(key: unknown): TokenType[] | undefined;
}

export class LstmParser extends CstParser {
  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: 'onlyOffset',
      maxLookahead: MAX_LOOKAHEAD,
      errorMessageProvider: expectedMessageProvider,
    });
    // Chevrotain's in-repetition recovery re-enters a repetition recursively once per error, so a
    // long run of errors can overflow the stack and costs quadratic time. The grammar instead
    // consumes stray tokens explicitly ("junk" alternatives below); within a statement, rule-level
    // re-sync recovery (which unwinds, never nests) does the rest.
    (this as unknown as { attemptInRepetitionRecovery: () => void }).attemptInRepetitionRecovery = () => undefined;
    // Stop after MAX_PARSE_ERRORS: from then on the parser sees the end of the input. Each error
    // costs up to O(depth^2) in chevrotain's re-sync, so this bounds adversarial inputs.
    const self = this as unknown as ParserInternals;
    const save = self.SAVE_ERROR.bind(this);
    self.SAVE_ERROR = (err: unknown) => {
      const r = save(err);
      if (self._errors.length >= MAX_PARSE_ERRORS && self.tokVectorLength > self.currIdx + 1) {
        // Chevrotain pads the input with EOF sentinels for the duration of a parse (and pops them
        // from the vector it then holds): move the padding to a truncated copy.
        const old = self.tokVector;
        const cut = Math.max(0, self.currIdx + 1);
        const vec = old.slice(0, cut);
        const sentinel = old[old.length - 1];
        while (old.length > 0 && old[old.length - 1]!.tokenType === EOF) old.pop();
        if (sentinel && sentinel.tokenType === EOF) for (let i = 0; i <= MAX_LOOKAHEAD; i++) vec.push(sentinel);
        self.tokVector = vec;
        self.tokVectorLength = cut;
      }
      return r;
    };
    // Re-sync to the INNERMOST rule that can continue at an upcoming token (chevrotain tries the
    // outermost first, so an error inside `train { }` would abandon the whole block).
    self.flattenFollowSet = function (this: ParserInternals): TokenType[] {
      const keys = this.buildFullFollowKeyStack();
      const out: TokenType[] = [];
      for (let i = keys.length - 1; i >= 0; i--) {
        const f = this.getFollowSetFromFollowKey(keys[i]);
        if (f) for (const t of f) out.push(t);
      }
      return out;
    };
    this.performSelfAnalysis();
  }

  /** True when the last parse stopped early because of too many errors. */
  get stoppedEarly(): boolean {
    return (this as unknown as ParserInternals)._errors.length >= MAX_PARSE_ERRORS;
  }

  public file = this.RULE('file', () => {
    this.MANY(() => this.SUBRULE(this.modelDecl));
  });

  public modelDecl = this.RULE('modelDecl', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.modelEntry) },
        { ALT: () => this.CONSUME(T.Semicolon) },
        { ALT: () => this.CONSUME(T.StmtJunk) },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  public modelEntry = this.RULE('modelEntry', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.outputStmt) },
      { ALT: () => this.SUBRULE(this.trainBlock) },
      { ALT: () => this.SUBRULE(this.dataBlock) },
      { ALT: () => this.SUBRULE(this.layerStmt) },
    ]);
  });

  public paramDecl = this.RULE('paramDecl', () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.value);
  });

  public inputDecl = this.RULE('inputDecl', () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.value);
    // `batch 25` / `batch B`: a contextual keyword, so `batch` stays a valid name elsewhere. The gate
    // keeps a following layer line (`batchNormalization()`, a layer called `batch`) out of the input.
    this.OPTION({
      GATE: () =>
        this.LA(1).image === 'batch' &&
        this.LA(1).tokenType === T.Identifier &&
        (BATCH_VALUE_STARTS.has(this.LA(2).tokenType) ||
          (this.LA(2).tokenType === T.Identifier && this.LA(3).tokenType !== T.LParen)),
      DEF: () => {
        this.CONSUME2(T.Identifier, { LABEL: 'batchKeyword' });
        this.SUBRULE2(this.value, { LABEL: 'batchValue' });
      },
    });
  });

  public letStmt = this.RULE('letStmt', () => {
    this.CONSUME(T.Let);
    this.SUBRULE(this.letTargets);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.value);
    });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.nameOrList);
    this.MANY(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.call);
    });
  });

  public letTargets = this.RULE('letTargets', () => {
    this.SUBRULE(this.nameOrList);
  });

  public nameOrList = this.RULE('nameOrList', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.CONSUME2(T.Identifier);
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.CONSUME3(T.Identifier);
          });
          this.OPTION(() => this.CONSUME2(T.Comma));
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  public outputStmt = this.RULE('outputStmt', () => {
    this.CONSUME(T.Output);
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.Identifier);
    });
  });

  public trainBlock = this.RULE('trainBlock', () => {
    this.CONSUME(T.Train);
    this.SUBRULE(this.block);
  });

  public dataBlock = this.RULE('dataBlock', () => {
    this.CONSUME(T.Data);
    this.SUBRULE(this.block);
  });

  public layerStmt = this.RULE('layerStmt', () => {
    this.SUBRULE(this.call);
  });

  public block = this.RULE('block', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.blockEntry) },
        { ALT: () => this.CONSUME(T.Comma) },
        { ALT: () => this.CONSUME(T.Semicolon) },
        { ALT: () => this.CONSUME(T.EntryJunk) },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  public blockEntry = this.RULE('blockEntry', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Keyword) }]);
    this.OR2([
      {
        ALT: () => {
          this.CONSUME(T.Colon);
          this.SUBRULE(this.value);
        },
      },
      { ALT: () => this.SUBRULE(this.block) },
    ]);
  });

  public call = this.RULE('call', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => this.SUBRULE(this.args));
      this.CONSUME(T.RParen);
    });
  });

  public args = this.RULE('args', () => {
    this.SUBRULE(this.arg);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.arg);
    });
    this.OPTION(() => this.CONSUME2(T.Comma));
  });

  public arg = this.RULE('arg', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier);
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.value);
  });

  public value = this.RULE('value', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.StringLike) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.DollarIdent) },
      { ALT: () => this.CONSUME(T.Question) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.SUBRULE(this.block) },
    ]);
  });

  public list = this.RULE('list', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.value);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.value);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });
}

/** The one parser instance (self-analysis runs once, at module load). */
export const lstmParser = new LstmParser();

export type { IToken };
