/**
 * Consent records per customer and purpose (analytics, model_training, marketing). Every change
 * is a ledger entry whose subject is the customer's pseudonym, never the raw id.
 *
 * @example
 * grantConsent(db, identity, { customerId: 'C-1', purpose: 'analytics', source: 'web_form' });
 * consentInForce(db, 'C-1', 'analytics', new Date()); // true
 * revokeConsent(db, identity, { customerId: 'C-1', purpose: 'analytics', source: 'email' });
 */
export {
  grantConsent,
  revokeConsent,
  consentInForce,
  consentSummary,
  type ConsentChange,
  type ConsentChangeInput,
  type ConsentSummaryRow,
} from './consent.ts';
