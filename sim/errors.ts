// API errors as the API server reports them: an HTTP code plus a meta/v1 Status object.

export type StatusReason =
  | 'NotFound'
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'Invalid'
  | 'TooManyRequests'
  | 'UnsupportedMediaType'
  | 'Conflict'
  | 'AlreadyExists'
  | 'NotAcceptable'
  | 'InternalError';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: { name?: string; group?: string; kind?: string; causes?: StatusCause[] } | undefined;

  constructor(code: number, reason: StatusReason, message: string, details?: ApiError['details']) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

export function statusObject(code: number, reason: string, message: string, details?: ApiError['details']): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: code < 400 ? 'Success' : 'Failure',
    message,
    ...(code < 400 ? {} : { reason }),
    ...(details ? { details } : {}),
    code,
  };
}

export function notFound(kind: string, name: string, group = ''): ApiError {
  const resource = group ? `${kind}.${group}` : kind;
  return new ApiError(404, 'NotFound', `${resource} "${name}" not found`, { name, ...(group ? { group } : {}), kind });
}

export function invalid(kind: string, name: string, field: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${field}: ${message}`, {
    name,
    kind,
    causes: [{ reason: 'FieldValueInvalid', message, field }],
  });
}
