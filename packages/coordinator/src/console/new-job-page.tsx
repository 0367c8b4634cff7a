import { Alert, CsrfField, type ConsoleSession } from '@fedmark/protocol/console';
import { isProtocolError } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { requireActiveEpoch } from '../keys/epochs.ts';
import { TEMPLATE_NAMES, jobTemplate, type TemplateName } from '../jobs/templates.ts';
import {
  noErrors,
  specFromParams,
  templateDefaults,
  type FormErrors,
  type NewJobParams,
  type ParamField,
} from './new-job-form.ts';
import { PATHS } from './paths.ts';

export interface NewJobView {
  templates: { name: TemplateName; title: string }[];
  params: NewJobParams;
  defaults: Record<ParamField, string>;
  /** The spec the parameters give, pretty-printed (what "Create job" sends). */
  previewJson: string;
  /** The JSON form's text: what the operator pasted, or the preview. */
  jsonText: string;
  errors: FormErrors;
  jsonErrors: FormErrors;
  /** Which epoch new jobs run on, or why none can be created now. */
  epoch: { ok: true; text: string } | { ok: false; text: string };
}

const today = (ctx: Ctx) => ctx.iso().slice(0, 10);

export function emptyParams(template: TemplateName): NewJobParams {
  return {
    template,
    values: { name: '', asOf: '', minNodes: '', epsilon: '', mechanism: '', deadlineMs: '' },
  };
}

/** Everything the form shows for `params` (errors from a failed submission passed through). */
export function loadNewJobView(
  ctx: Ctx,
  params: NewJobParams,
  opts: { errors?: FormErrors; jsonText?: string; jsonErrors?: FormErrors } = {}
): NewJobView {
  const built = specFromParams(params, today(ctx));
  const previewJson = JSON.stringify(built.spec, null, 2);
  let epoch: NewJobView['epoch'];
  try {
    const e = requireActiveEpoch(ctx);
    epoch = {
      ok: true,
      text: `New jobs run on key epoch ${e.keyId} with ${e.members.length} members (${e.members.map((m) => m.name).join(', ')}).`,
    };
  } catch (err) {
    epoch = {
      ok: false,
      text: `A job cannot be created right now: ${isProtocolError(err) ? err.message : 'no active key epoch'}.`,
    };
  }
  return {
    templates: TEMPLATE_NAMES.map((name) => ({
      name,
      title: jobTemplate(name, today(ctx)).name ?? name,
    })),
    params,
    defaults: templateDefaults(params.template, today(ctx)),
    previewJson,
    jsonText: opts.jsonText ?? previewJson,
    errors: opts.errors ?? noErrors(),
    jsonErrors: opts.jsonErrors ?? noErrors(),
    epoch,
  };
}

const LABELS: Record<ParamField, { label: string; hint: string; type: string }> = {
  name: { label: 'Job name', hint: 'Shown in the job list and results.', type: 'text' },
  asOf: {
    label: 'As-of date',
    hint: 'The day the statistics describe (YYYY-MM-DD).',
    type: 'date',
  },
  minNodes: {
    label: 'Minimum nodes',
    hint: 'At least 3: fewer contributors than this and the job fails without decrypting anything.',
    type: 'number',
  },
  epsilon: {
    label: 'Epsilon per round',
    hint: 'Privacy budget each node spends per round (train and clv: for the whole fit).',
    type: 'text',
  },
  mechanism: {
    label: 'Noise mechanism',
    hint: 'distributed-laplace (each node adds a share of one central Laplace draw, pure epsilon), distributed-gaussian (shares of a Gaussian, zCDP: best over many rounds) or local-laplace (every node adds the whole noise).',
    type: 'text',
  },
  deadlineMs: {
    label: 'Round deadline (ms)',
    hint: 'How long each round waits for submissions.',
    type: 'number',
  },
};

function ParamInput(p: { field: ParamField; view: NewJobView }) {
  const { field, view } = p;
  const l = LABELS[field];
  const error = view.errors.fields[field];
  return (
    <label>
      {l.label}
      <span class="hint">
        {l.hint} Leave empty for the template's value ({view.defaults[field] || 'none'}).
      </span>
      <input
        type={l.type}
        name={field}
        id={`field-${field}`}
        value={view.params.values[field]}
        placeholder={view.defaults[field]}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `error-${field}` : undefined}
      />
      {error ? (
        <span class="field-error" id={`error-${field}`} data-testid={`error-${field}`}>
          {error}
        </span>
      ) : null}
    </label>
  );
}

export function NewJobPage(p: { view: NewJobView; session: ConsoleSession }) {
  const v = p.view;
  const train = jobTemplate(v.params.template).kind === 'train';
  const fields: ParamField[] = train
    ? ['name', 'minNodes', 'epsilon', 'mechanism', 'deadlineMs']
    : ['name', 'asOf', 'minNodes', 'epsilon', 'mechanism', 'deadlineMs'];
  const templateError = v.errors.fields.template;
  return (
    <>
      <div data-testid="epoch-status" data-ready={v.epoch.ok ? 'true' : 'false'}>
        <Alert kind={v.epoch.ok ? 'info' : 'error'}>{v.epoch.text}</Alert>
      </div>
      {v.errors.general.length > 0 ? (
        <Alert kind="error">
          <ul data-testid="form-errors">
            {v.errors.general.map((e) => (
              <li>{e}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      <section class="card">
        <h2>From a template</h2>
        <form class="stack" method="post" action={PATHS.newJob} data-testid="new-job-form">
          <CsrfField session={p.session} />
          <label>
            Template
            <span class="hint">
              Choose one, then "Preview JSON spec" to see its values and the spec it gives.
            </span>
            <select
              name="template"
              id="field-template"
              aria-invalid={templateError ? 'true' : undefined}
            >
              {v.templates.map((t) => (
                <option value={t.name} selected={t.name === v.params.template}>
                  {`${t.name}: ${t.title}`}
                </option>
              ))}
            </select>
            {templateError ? (
              <span class="field-error" data-testid="error-template">
                {templateError}
              </span>
            ) : null}
          </label>
          {fields.map((f) => (
            <ParamInput field={f} view={v} />
          ))}
          <div>
            <button type="submit" name="action" value="preview">
              Preview JSON spec
            </button>{' '}
            <button type="submit" name="action" value="create">
              Create job
            </button>
          </div>
        </form>
      </section>
      <section class="card">
        <h2>JSON spec</h2>
        <p class="muted">
          What "Create job" sends for the template and values above (docs/coordinator.md, "Job
          specs").
        </p>
        <pre data-testid="spec-preview">{v.previewJson}</pre>
      </section>
      <section class="card">
        <h2>Or edit the JSON spec</h2>
        <form class="stack" method="post" action={PATHS.newJob} data-testid="json-job-form">
          <CsrfField session={p.session} />
          <input type="hidden" name="template" value={v.params.template} />
          <label>
            Job spec (JSON)
            <textarea
              name="spec"
              id="field-spec"
              rows={24}
              aria-invalid={v.jsonErrors.fields.spec ? 'true' : undefined}
            >
              {v.jsonText}
            </textarea>
            {v.jsonErrors.fields.spec ? (
              <span class="field-error" data-testid="error-spec">
                {v.jsonErrors.fields.spec}
              </span>
            ) : null}
          </label>
          {v.jsonErrors.general.map((e) => (
            <span class="field-error">{e}</span>
          ))}
          <div>
            <button type="submit" name="action" value="create-json">
              Create job from JSON
            </button>
          </div>
        </form>
      </section>
    </>
  );
}
