export * from './node-request.ts';
