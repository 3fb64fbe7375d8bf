import type { BatchApi } from '../api';
import { BatchApiError } from '../api';
import { newUseForm } from '../params';
import type { IUseForm } from '../params';
import type {
  ILibraryProgram,
  ILibraryProgramDetail,
  IUseProgram,
  IWorkflowInfo
} from '../types';
import { ViewModel } from './base';

const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/**
 * The library's programs, the one selected with its versions, each program's form as
 * the user left it, and the last failed "use the program" (its problems are shown
 * beside the form's fields).
 */
export class LibraryModel extends ViewModel {
  constructor(private readonly _api: BatchApi) {
    super();
  }

  get programs(): readonly ILibraryProgram[] {
    return this._programs;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get selected(): string | null {
    return this._selected;
  }

  /** The selected program in full, once loaded. */
  get detail(): ILibraryProgramDetail | null {
    return this._detail?.name === this._selected ? this._detail : null;
  }

  /** Why the last "use" of the selected program failed (null: it did not). */
  get useError(): BatchApiError | null {
    return this._useError;
  }

  /** A "use" is on its way. */
  get using(): boolean {
    return this._using;
  }

  /** The form of a program as the user left it, or a new one. */
  form(program: ILibraryProgram): IUseForm {
    return this._forms.get(program.name) ?? newUseForm(program, LOCAL_ZONE);
  }

  /** Keep what a program's form holds, for when it shows again (it shows it already). */
  keepForm(name: string, form: IUseForm): void {
    this._forms.set(name, form);
  }

  async refresh(): Promise<void> {
    const programs = await this.load(() => this._api.listPrograms());
    if (programs) {
      this._programs = [...programs].sort((a, b) => a.title.localeCompare(b.title));
      this._loaded = true;
    }
    if (this._selected) {
      await this._loadDetail(this._selected);
    }
    this.emit();
  }

  async select(name: string | null): Promise<void> {
    this._selected = name;
    this._useError = null;
    this.emit();
    if (name) {
      await this._loadDetail(name);
    }
  }

  /**
   * Create the workflow; null when the server refused it (see `useError`), so the form
   * stays as the user filled it.
   */
  async use(name: string, request: IUseProgram): Promise<IWorkflowInfo | null> {
    this._using = true;
    this._useError = null;
    this.emit();
    try {
      return await this._api.useProgram(name, request);
    } catch (error) {
      this._useError = BatchApiError.from(error);
      return null;
    } finally {
      this._using = false;
      this.emit();
    }
  }

  private async _loadDetail(name: string): Promise<void> {
    const detail = await this.load(() => this._api.getProgram(name));
    if (detail && this._selected === name) {
      this._detail = detail;
      this.emit();
    }
  }

  private _programs: ILibraryProgram[] = [];
  private _loaded = false;
  private _selected: string | null = null;
  private _detail: ILibraryProgramDetail | null = null;
  private _forms = new Map<string, IUseForm>();
  private _useError: BatchApiError | null = null;
  private _using = false;
}
