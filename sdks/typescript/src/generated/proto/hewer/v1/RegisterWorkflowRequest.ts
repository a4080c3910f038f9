// Original file: pyworker/proto/hewer.proto


export interface RegisterWorkflowRequest {
  'name'?: (string);
  'spec_json'?: (string);
}

export interface RegisterWorkflowRequest__Output {
  'name': (string);
  'spec_json': (string);
}
