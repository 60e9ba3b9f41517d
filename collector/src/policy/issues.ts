/** Problems found in an operator's config file (policy or directory): reported, never thrown. */

export type IssueSeverity = 'error' | 'warning';

export interface ConfigIssue {
  code: string;
  file: string;
  /** 1-based line in the file, or null when the problem is about the whole file. */
  line: number | null;
  message: string;
  /**
   * 'error' makes the loader return null (callers keep their last good config); 'warning' is
   * reported but the file still loads. Absent means 'error' (issues made outside these loaders).
   */
  severity?: IssueSeverity;
}

/** Most issues one file may report; a broken 10 MB file must not produce 10 MB of issues. */
export const MAX_ISSUES = 200;

/** Collects issues for one file, capped at MAX_ISSUES (the last one says how many were left out). */
export class IssueList {
  readonly items: ConfigIssue[] = [];
  private dropped = 0;
  private droppedErrors = 0;

  constructor(
    readonly file: string,
    private readonly prefix: 'POLICY' | 'DIRECTORY',
  ) {}

  error(code: string, line: number | null, message: string): void {
    this.add(code, line, message, 'error');
  }

  warn(code: string, line: number | null, message: string): void {
    this.add(code, line, message, 'warning');
  }

  hasErrors(): boolean {
    return this.items.some((i) => i.severity !== 'warning') || this.droppedErrors > 0;
  }

  /** The issues, with a closing TOO_MANY_ISSUES entry when some were left out. */
  result(): ConfigIssue[] {
    if (this.dropped === 0) return this.items;
    return [
      ...this.items,
      {
        code: `${this.prefix}_TOO_MANY_ISSUES`,
        file: this.file,
        line: null,
        message: `${this.dropped} more issue(s) not listed; fix the ones above first`,
        severity: this.droppedErrors > 0 ? 'error' : 'warning',
      },
    ];
  }

  private add(code: string, line: number | null, message: string, severity: 'error' | 'warning'): void {
    if (this.items.length >= MAX_ISSUES) {
      this.dropped++;
      if (severity === 'error') this.droppedErrors++;
      return;
    }
    this.items.push({ code: `${this.prefix}_${code}`, file: this.file, line, message, severity });
  }
}
