import { JobSpecSchema, type JobSpecInput } from '@fedmark/protocol';
import type { ZodError } from 'zod';
import { TEMPLATE_NAMES, jobTemplate, type TemplateName } from '../jobs/templates.ts';

/** The parameter fields of the new-job form, by their `name` attribute. */
export const PARAM_FIELDS = [
  'name',
  'asOf',
  'minNodes',
  'epsilon',
  'mechanism',
  'deadlineMs',
] as const;
export type ParamField = (typeof PARAM_FIELDS)[number];
/** Fields an error can point at: the template, a parameter, or the pasted JSON spec. */
export type FormField = 'template' | ParamField | 'spec';

/** What the operator typed. An empty parameter means "the template's value". */
export interface NewJobParams {
  template: TemplateName;
  values: Record<ParamField, string>;
}

export interface FormErrors {
  fields: Partial<Record<FormField, string>>;
  /** Errors that belong to no single field (e.g. no active key epoch), shown above the form. */
  general: string[];
}

export const noErrors = (): FormErrors => ({ fields: {}, general: [] });
export const hasErrors = (e: FormErrors): boolean =>
  e.general.length > 0 || Object.keys(e.fields).length > 0;

export const isTemplateName = (t: unknown): t is TemplateName =>
  typeof t === 'string' && (TEMPLATE_NAMES as readonly string[]).includes(t);

/** The template's own values, shown as placeholders (train templates have no `asOf`). */
export function templateDefaults(
  template: TemplateName,
  today: string
): Record<ParamField, string> {
  const t = jobTemplate(template, today);
  const epsilon =
    t.kind === 'train'
      ? t.train.epsilon
      : t.kind === 'clv'
        ? (t.clv.epsilon ?? 1)
        : t.query.epsilon;
  // A clv job's as-of day is the end of its calibration period.
  const asOf =
    t.kind === 'train' ? '' : t.kind === 'clv' ? t.clv.calibrationEnd : (t.query.asOf ?? today);
  return {
    name: t.name ?? '',
    asOf,
    minNodes: String(t.minNodes ?? 3),
    epsilon: String(epsilon),
    // The schema's default by kind (docs/privacy.md "Distributed noise").
    mechanism:
      t.mechanism ??
      (t.kind === 'train' || t.kind === 'clv' ? 'distributed-gaussian' : 'distributed-laplace'),
    deadlineMs: String(t.deadlineMs ?? 120_000),
  };
}

/** Reads the form body; an unknown template is an error on the `template` field. */
export function paramsFromForm(form: Record<string, unknown>): {
  params: NewJobParams;
  errors: FormErrors;
} {
  const errors = noErrors();
  const raw = form['template'];
  const template = isTemplateName(raw) ? raw : TEMPLATE_NAMES[0];
  if (!isTemplateName(raw))
    errors.fields.template = `template: choose one of ${TEMPLATE_NAMES.join(', ')}`;
  const values = Object.fromEntries(
    PARAM_FIELDS.map((f) => [f, typeof form[f] === 'string' ? (form[f] as string).trim() : ''])
  ) as Record<ParamField, string>;
  return { params: { template, values }, errors };
}

function wholeNumber(field: ParamField, v: string, errors: FormErrors): number | undefined {
  if (v === '') return undefined;
  if (!/^[0-9]{1,12}$/.test(v)) {
    errors.fields[field] = `${field}: expected a whole number, got ${JSON.stringify(v)}`;
    return undefined;
  }
  return Number(v);
}

/**
 * The job spec for the chosen template with the typed parameters applied, validated by the
 * protocol's JobSpecSchema. Errors name the form field they come from.
 */
export function specFromParams(
  p: NewJobParams,
  today: string
): { spec: JobSpecInput; errors: FormErrors } {
  const errors = noErrors();
  const v = p.values;
  const asOf = v.asOf === '' ? today : v.asOf;
  const spec = structuredClone(jobTemplate(p.template, asOf));
  if (v.name !== '') spec.name = v.name;
  const minNodes = wholeNumber('minNodes', v.minNodes, errors);
  if (minNodes !== undefined) spec.minNodes = minNodes;
  const deadlineMs = wholeNumber('deadlineMs', v.deadlineMs, errors);
  if (deadlineMs !== undefined) spec.deadlineMs = deadlineMs;
  if (v.epsilon !== '') {
    const e = Number(v.epsilon);
    if (!/^[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i.test(v.epsilon) || !Number.isFinite(e))
      errors.fields.epsilon = `epsilon: expected a positive number such as 0.5, got ${JSON.stringify(v.epsilon)}`;
    else if (spec.kind === 'train') spec.train.epsilon = e;
    else if (spec.kind === 'clv') spec.clv.epsilon = e;
    else spec.query.epsilon = e;
  }
  // Validated by the schema below, which names the mechanisms it accepts.
  if (v.mechanism !== '') (spec as { mechanism?: string }).mechanism = v.mechanism;
  // Schema issues too, so one submission shows every field that needs fixing.
  const parsed = JobSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const z = errorsFromZod(parsed.error, 'params');
    for (const [f, m] of Object.entries(z.fields)) errors.fields[f as FormField] ??= m;
    errors.general.push(...z.general);
  }
  return { spec, errors };
}

/** Where an issue at `path` of a job spec shows on the parameter form. */
function paramFieldOf(path: readonly PropertyKey[]): ParamField | undefined {
  const [a, b] = path;
  if (
    path.length === 1 &&
    (a === 'name' || a === 'minNodes' || a === 'deadlineMs' || a === 'mechanism')
  )
    return a;
  if (path.length === 2 && (a === 'query' || a === 'train') && b === 'epsilon') return 'epsilon';
  if (path.length === 2 && a === 'query' && b === 'asOf') return 'asOf';
  return undefined;
}

/**
 * Zod issues as form errors, each prefixed with the spec path it concerns. On the parameter form
 * an issue goes to the field it came from (or above the form); on the JSON form, to `spec`.
 */
export function errorsFromZod(err: ZodError, form: 'params' | 'json'): FormErrors {
  const errors = noErrors();
  const json: string[] = [];
  for (const issue of err.issues) {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(spec)';
    const field = form === 'params' ? paramFieldOf(issue.path) : undefined;
    if (field) errors.fields[field] ??= `${field}: ${issue.message}`;
    else if (form === 'json') json.push(`${where}: ${issue.message}`);
    else errors.general.push(`${where}: ${issue.message}`);
  }
  if (json.length) errors.fields.spec = `spec: ${json.join('; ')}`;
  return errors;
}

/** The pasted JSON spec, parsed and validated; errors go to the `spec` field naming the path. */
export function specFromJson(text: string): { spec: unknown; errors: FormErrors } {
  const errors = noErrors();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    errors.fields.spec = `spec: not valid JSON (${err instanceof Error ? err.message : 'parse error'})`;
    return { spec: undefined, errors };
  }
  const parsed = JobSpecSchema.safeParse(value);
  return { spec: value, errors: parsed.success ? errors : errorsFromZod(parsed.error, 'json') };
}
